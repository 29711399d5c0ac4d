"""PEP 380's expansion of ``yield from``, written out as a plain generator.

The chapter on delegation shows this function piece by piece, next to the "Formal Semantics"
section of PEP 380, so that you can compare them line by line: the names ``_i``, ``_y``, ``_s``,
``_e``, ``_x``, ``_m`` and ``_r`` are the PEP's own. Driving ``yield_from(it)`` is meant to be
indistinguishable from driving a generator whose body is ``return (yield from it)``;
``tests/test_pep380.py`` compares the two on CPython 3.11, 3.12 and 3.13, case by case and with
random sub-iterators and random calls.

Where CPython does not do what the PEP's text says, the code follows CPython and a comment
starting ``CPython, not the PEP`` says why. What no generator written in Python can copy is
listed in the docstring of :func:`yield_from`.
"""

import sys
import types
from collections.abc import Generator, Iterable
from typing import Any, TypeVar, overload

__all__ = ["yield_from"]

YieldT = TypeVar("YieldT")
SendT = TypeVar("SendT")
ReturnT = TypeVar("ReturnT")


class _Unraisable:
    """A throwaway object whose finaliser raises ``error``, to report it as unraisable.

    CPython's C code hands an exception it cannot raise to ``PyErr_WriteUnraisable``, which
    prints "Exception ignored in ..." through :func:`sys.unraisablehook`. Python code has no
    direct way in; an exception escaping ``__del__`` takes the same road.
    """

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __del__(self) -> None:
        raise self.error


@overload
def yield_from(
    iterable: Generator[YieldT, SendT, ReturnT],
) -> Generator[YieldT, SendT, ReturnT]: ...


@overload
def yield_from(iterable: Iterable[YieldT]) -> Generator[YieldT, Any, Any]: ...


def yield_from(iterable: Iterable[YieldT]) -> Generator[YieldT, Any, Any]:
    """A generator that behaves as ``return (yield from iterable)``, built without ``yield from``.

    It yields what the sub-iterator yields, forwards ``send()``, ``throw()`` and ``close()``
    to it, and returns the sub-iterator's return value (the ``value`` of its
    :exc:`StopIteration`):

    >>> def averager():
    ...     total, count = 0.0, 0
    ...     while (number := (yield)) is not None:
    ...         total, count = total + number, count + 1
    ...     return total / count
    >>> delegate = yield_from(averager())
    >>> next(delegate)
    >>> delegate.send(10)
    >>> delegate.send(20)
    >>> delegate.send(None)
    Traceback (most recent call last):
      ...
    StopIteration: 15.0

    Misuse fails as the statement does, at the first ``next()``:

    >>> next(yield_from(5))
    Traceback (most recent call last):
      ...
    TypeError: 'int' object is not iterable

    Some differences remain, because CPython does these in C where a Python generator cannot:

    * If looking up the sub-iterator's ``throw`` fails with something other than
      :exc:`AttributeError`, the native ``throw()`` raises that error to its caller and leaves
      the delegating generator suspended; here the error ends the generator, as in the PEP.
    * ``throw()`` hands the sub-iterator's own ``throw`` method the arguments it was called
      with (``throw(ValueError)`` passes the class); here the method always gets the
      exception instance, because that is all the ``except`` clause sees. Sub-generators
      cannot tell the difference.
    * If looking up the sub-iterator's ``close`` fails, both report the error as unraisable
      and go on, but the report names another object.
    * Introspection and tracebacks show the machinery: ``gi_yieldfrom`` is ``None`` here, and
      tracebacks have a line of this function where the native ones have the ``yield from``.
    * A generator decorated with :func:`types.coroutine` may delegate to a native coroutine with
      the statement (that is how it awaits one); ``yield_from`` refuses a coroutine everywhere,
      with the :exc:`TypeError` the statement raises in a plain generator.
    * Depth: every link of a chain of nested ``yield_from`` generators is a Python frame, so
      starting or resuming the chain, closing it and collecting it each cost a level of the
      recursion limit (:func:`sys.getrecursionlimit`, 1,000 by default) per link, and a chain
      about that deep fails with :exc:`RecursionError` (on 3.12, starting it fails from about
      three quarters of that depth). A chain of native ``yield from`` costs as much to start
      and resume (on 3.12 too), but CPython closes and collects it in C, at any depth.
    """
    # [pep380-start:prime]
    # CPython, not the PEP: since PEP 492 (3.5) a plain generator may not delegate to a native
    # coroutine; iter() would only say that a coroutine is not iterable. The type says this cannot
    # happen, but nothing stops it at run time.
    if isinstance(iterable, types.CoroutineType):  # type: ignore[unreachable]
        raise TypeError("cannot 'yield from' a coroutine object in a non-coroutine generator")
    # Any: whether the sub-iterator has send, throw and close is only found out at run time.
    _i: Any = iter(iterable)
    try:
        _y = next(_i)
    except StopIteration as _e:
        _r = _e.value
    else:
        # [pep380-end:prime]
        # [pep380-start:loop]
        while 1:
            # CPython, not the PEP: CPython hands throw() and close() on to the sub-iterator from
            # C, before the delegating generator sees the exception, so nothing the sub-iterator
            # raises gets that exception as its __context__. Handing them on from inside an
            # except clause, as the PEP does, would chain them; so the clause only notes the
            # exception (as the PEP's _x = sys.exc_info() does) and the work is done after it.
            _x: BaseException | None
            try:
                _s = yield _y
            except BaseException as _e:
                _x = _e
            else:
                _x = None
            # [pep380-end:loop]
            # [pep380-start:close]
            if isinstance(_x, GeneratorExit):
                # Not the PEP's text: a sub-generator is closed by throwing GeneratorExit into it,
                # which is what its close() does, for half the recursion. Calling close() from
                # Python costs a level of the recursion limit for the call on 3.11 and 3.12 and
                # another for the frame it resumes, so closing a chain of yield_from generators
                # ran out of levels at half the depth that a chain can reach.
                if type(_i) is types.GeneratorType:
                    try:
                        _i.throw(GeneratorExit())
                    except (GeneratorExit, StopIteration):
                        pass
                    else:
                        raise RuntimeError("generator ignored GeneratorExit")
                    raise _x
                try:
                    _m = _i.close
                except AttributeError:
                    pass
                except BaseException as _lookup_error:
                    # CPython, not the PEP: an error from looking close up is reported as
                    # unraisable, and the shutdown goes on as if there were no close.
                    _Unraisable(_lookup_error)
                else:
                    # The result of close() is dropped, as in the PEP, even on 3.13 where
                    # generator.close() returns the sub-generator's return value.
                    try:
                        _m()
                    except StopIteration as _e:
                        # CPython, not the PEP, from 3.12: see the throw branch.
                        if sys.version_info >= (3, 12):
                            _r = _e.value
                            break
                        raise
                raise _x
            # [pep380-end:close]
            # [pep380-start:throw]
            elif _x is not None:
                try:
                    _m = _i.throw
                except AttributeError:
                    pass
                else:
                    # The PEP passes sys.exc_info() on, but the three-argument throw() is
                    # deprecated since 3.12; the instance carries its type and traceback.
                    try:
                        _y = _m(_x)
                    except StopIteration as _e:
                        _r = _e.value
                        break
                    # Drop it, as an except clause drops its variable: a suspended generator
                    # must not keep the exception, and the frames in its traceback, alive.
                    del _x
                    continue
                # CPython, not the PEP, from 3.12: `yield from` compiles to a handler
                # (CLEANUP_THROW) that takes a StopIteration raised at the suspended `yield from`
                # as the sub-iterator's return, so its value becomes the result. On 3.11, as in
                # the PEP, it escapes and PEP 479 turns it into RuntimeError.
                if sys.version_info >= (3, 12) and isinstance(_x, StopIteration):
                    _r = _x.value
                    break
                raise _x
            # [pep380-end:throw]
            # [pep380-start:send]
            else:
                try:
                    _y = next(_i) if _s is None else _i.send(_s)
                except StopIteration as _e:
                    _r = _e.value
                    break
            # [pep380-end:send]
    # [pep380-start:result]
    return _r
    # [pep380-end:result]
