"""Which examples of a page need one that is left out: the names they share. Standard library only.

A page's examples run in one namespace, in order (:mod:`booktools.examples.contract`). Where one of
them cannot run (in a browser, say: :func:`~booktools.examples.contract.browser_reason`), the
examples after it can still run, unless they need what it would have done. :class:`PageNames`
decides that from the code alone, with :mod:`ast`, and errs on the side of leaving out:

- A left-out example **spoils** every global name it binds (assignment, ``def``, ``class``,
  ``import``, ``for``, ``with``, ``del``, ...), every name whose attributes or items it stores
  into, and every *data* name it reads (one bound on the page by anything but ``def``, ``class``
  or ``import``), since it may have changed the object: ``log.append(...)`` spoils ``log``.
- An example **needs** the global names it reads before binding them itself, and, for each
  function or class of the page it reads, the global names that one's body reads, and so on: an
  example that calls ``report()``, whose body prints ``log``, needs ``log``.
- An example that needs a spoiled name is left out too, naming the first such name, and spoils in
  turn; an example that runs binds its names afresh, which makes them sound again.
- The top-level imports of an example left out may still run (:func:`imports`; the caller
  chooses which, since importing a name can be the very thing that cannot run): importing a
  module binds the same module whatever the rest of the example does, so the names they bind
  stay sound, unless the rest of the example rebinds them or stores into them.

What it cannot see: state that no name on the page holds (a module's globals changed through a
function of that module, the interpreter's settings). The browser runner, which checks every
example that runs, catches what slips through.
"""

from __future__ import annotations

import ast
import doctest
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

__all__ = ["Left", "PageNames", "Statement", "imports", "statements"]

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass
class Statement:
    """One top-level statement: the global names it reads, binds, and stores into."""

    reads: list[str] = field(default_factory=list)  # in order, each once
    binds: dict[str, frozenset[str] | None] = field(default_factory=dict)
    """Each name bound, with the global names its body reads for a ``def`` or ``class``, an
    empty set for an ``import``, and ``None`` for data (anything else)."""
    stores: set[str] = field(default_factory=set)  # x in x.a = ..., x[k] = ..., del x.a
    imports: dict[str, str] = field(default_factory=dict)
    """For an import statement, each name it binds with the code that imports just that one."""

    def read(self, names: list[str] | set[str]) -> None:
        for name in sorted(names) if isinstance(names, set) else names:
            if name not in self.reads:
                self.reads.append(name)


def _bound_names(target: ast.AST) -> list[str]:
    return [node.id for node in ast.walk(target) if isinstance(node, ast.Name)]


class _Scope(ast.NodeVisitor):
    """The free names of a function, lambda, class or comprehension body: what it reads from
    outside, which, for the book's examples, is the page's globals (and builtins)."""

    def __init__(self) -> None:
        self.loads: set[str] = set()
        self.local: set[str] = set()
        self.declared: set[str] = set()  # global and nonlocal: read and written outside
        self.inner: set[str] = set()  # free names of the scopes inside this one

    def free(self) -> set[str]:
        return (self.loads - self.local) | self.declared | (self.inner - self.local)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.add(node.id)
        else:
            self.local.add(node.id)

    def visit_Global(self, node: ast.Global) -> None:
        self.declared.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.declared.update(node.names)

    def visit_alias(self, node: ast.alias) -> None:
        self.local.add((node.asname or node.name).split(".")[0])

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.local.add(node.name)
        self.generic_visit(node)

    def _nested(self, node: ast.AST) -> None:
        # What a nested scope's header evaluates (decorators, defaults, bases) is read here;
        # its body's free names are read from here too, when it runs.
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.local.add(node.name)
        for part in _header(node):
            self.visit(part)
        self.inner |= body_reads(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _nested
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _nested


def _header(node: ast.AST) -> list[ast.AST]:
    """The parts of a scope's node that run where it is defined."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = node.args
        parts: list[ast.AST] = [*arguments.defaults]
        parts += [default for default in arguments.kw_defaults if default is not None]
        if not isinstance(node, ast.Lambda):
            parts += node.decorator_list
        return parts
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
    if isinstance(node, _COMPREHENSIONS):
        return [node.generators[0].iter]  # the first iterable is evaluated outside
    return []


def body_reads(node: ast.AST) -> set[str]:
    """The free names of the scope *node* opens (annotations aside: the book does not
    evaluate them)."""
    scope = _Scope()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        scope.local.update(argument.arg for argument in every)
        body = node.body if isinstance(node.body, list) else [node.body]
        for statement in body:
            scope.visit(statement)
    elif isinstance(node, ast.ClassDef):
        for statement in node.body:
            scope.visit(statement)
        # Methods do not see the class's own names: only what the class body itself reads does.
        return (scope.loads - scope.local) | scope.declared | scope.inner
    elif isinstance(node, _COMPREHENSIONS):
        for number, generator in enumerate(node.generators):
            scope.visit(generator.target)
            if number:
                scope.visit(generator.iter)
            for condition in generator.ifs:
                scope.visit(condition)
        for part in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            scope.visit(part)
    return scope.free()


class _TopLevel(ast.NodeVisitor):
    """A top-level statement's effect on the page's globals."""

    def __init__(self) -> None:
        self.statement = Statement()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.statement.read([node.id])
        else:
            self.statement.binds[node.id] = None

    def _store_into(self, node: ast.Attribute | ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load):
            self.generic_visit(node)
            return
        base: ast.AST = node
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            if isinstance(base, ast.Subscript):
                self.visit(base.slice)
            base = base.value
        if isinstance(base, ast.Name):
            self.statement.read([base.id])
            self.statement.stores.add(base.id)
        else:
            self.visit(base)

    visit_Attribute = _store_into
    visit_Subscript = _store_into

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.statement.read([node.target.id])
        self.visit(node.target)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self.statement.binds[(alias.asname or alias.name).split(".")[0]] = frozenset()

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.statement.binds[node.name] = None
        for statement in node.body:
            self.visit(statement)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        self.generic_visit(node)
        if node.name:
            self.statement.binds[node.name] = None

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.statement.binds[node.name] = None

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self.statement.binds[node.rest] = None

    def _scope(self, node: ast.AST) -> None:
        for part in _header(node):
            self.visit(part)
        reads = frozenset(body_reads(node))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.statement.binds[node.name] = reads  # read when it is called, or subclassed
            return
        self.statement.read(set(reads))  # a lambda or a comprehension: may run right here
        for inner in ast.walk(node):  # := in a comprehension binds here
            if isinstance(inner, ast.NamedExpr) and not isinstance(node, ast.Lambda):
                self.statement.binds.update(dict.fromkeys(_bound_names(inner.target)))

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _scope
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scope


def statements(source: str, *, session: bool) -> list[Statement]:
    """The top-level statements of an example: a ``testcode`` (``session=False``) or a doctest
    session, prompt by prompt. Code that does not compile does nothing: it raises
    :exc:`SyntaxError` and binds no name."""
    if session:
        sources = [example.source for example in doctest.DocTestParser().get_examples(source)]
    else:
        sources = [source]
    found = []
    for text in sources:
        try:
            module = ast.parse(text)
        except SyntaxError:
            continue
        for node in module.body:
            visitor = _TopLevel()
            visitor.visit(node)
            if isinstance(node, ast.Import):
                visitor.statement.imports = {
                    (alias.asname or alias.name).split(".")[0]: ast.unparse(ast.Import([alias]))
                    for alias in node.names
                }
            elif isinstance(node, ast.ImportFrom):
                visitor.statement.imports = {
                    alias.asname or alias.name: ast.unparse(
                        ast.ImportFrom(node.module, [alias], node.level)
                    )
                    for alias in node.names
                }
            found.append(visitor.statement)
    return found


def imports(source: str, *, session: bool, keep: Callable[[str], bool]) -> dict[str, str]:
    """The top-level imports of an example that *keep* accepts, one name at a time: each name
    with the code that imports it. A runner that leaves the example out still runs them, so that
    the modules are there for the examples after it (:meth:`PageNames.add`)."""
    return {
        name: code
        for statement in statements(source, session=session)
        for name, code in statement.imports.items()
        if keep(code)
    }


@dataclass(frozen=True)
class Left:
    """Why an example is left out for what it needs: the spoiled *name*, and the reason of the
    example that spoiled it (the first left out, down a chain)."""

    name: str
    reason: str


class PageNames:
    """The global names of one page, as its examples bind them in order, and those spoiled by
    an example that is left out (see the module docstring)."""

    def __init__(self) -> None:
        self._bodies: dict[str, frozenset[str] | None] = {}  # the latest binding of each name
        self._spoiled: dict[str, str] = {}  # name -> the reason of the example that spoiled it

    def _closure(self, names: list[str], bodies: dict[str, frozenset[str] | None]) -> list[str]:
        """*names*, and what the bodies of the functions and classes among them read, in turn."""
        found = list(names)
        for name in found:
            body = bodies.get(name)
            if body:
                found += sorted(body - set(found))
        return found

    def needs(self, source: str, *, session: bool) -> Left | None:
        """The first spoiled name the example *source* needs, or ``None``."""
        bodies = dict(self._bodies)
        own: set[str] = set()  # bound by the example itself, so far
        for statement in statements(source, session=session):
            for name in self._closure(statement.reads, bodies):
                if name not in own and name in self._spoiled:
                    return Left(name, self._spoiled[name])
            bodies.update(statement.binds)
            own.update(statement.binds)
        return None

    def add(
        self,
        source: str,
        *,
        session: bool,
        left_out: str | None,
        imported: Collection[str] = (),
    ) -> None:
        """Record the example *source*: it ran (*left_out* is ``None``), or it was left out for
        the reason *left_out*, which the names it spoils carry on, but for the names of
        *imported*, which its top-level imports bound all the same (:func:`imports`)."""
        for statement in statements(source, session=session):
            if left_out is not None:
                reads = self._closure(statement.reads, {**self._bodies, **statement.binds})
                data = [name for name in reads if self._bodies.get(name, frozenset()) is None]
                for name in [*statement.binds, *statement.stores, *data]:
                    if name in statement.imports and name in imported:
                        self._spoiled.pop(name, None)
                    else:
                        self._spoiled[name] = left_out
            else:
                for name in statement.binds:
                    self._spoiled.pop(name, None)
            self._bodies.update(statement.binds)
