"""Which examples need one that is left out (booktools.examples.dependencies)."""

from __future__ import annotations

import pytest

from booktools.examples.dependencies import Left, PageNames, imports, statements


def page(*examples: tuple[str, str | None]) -> list[Left | None]:
    """Run a page's examples, each ``(testcode source, reason it cannot run or None)``, through
    :class:`PageNames` as the HTML build does (with the imports of one left out still run, but
    those of a module named ``sockety``): what each one needs that is spoiled."""
    names = PageNames()
    needs = []
    for source, reason in examples:
        left = names.needs(source, session=False) if reason is None else None
        needs.append(left)
        imported = imports(source, session=False, keep=lambda code: "sockety" not in code)
        names.add(
            source,
            session=False,
            left_out=left.reason if left else reason,
            imported=imported if reason or left else (),
        )
    return needs


def test_an_example_that_binds_its_names_afresh_runs_after_one_left_out() -> None:
    assert page(
        ("async def main():\n    await asyncio.sleep(1)\n", "sockets"),
        ("async def main():\n    return 1\n\nrun(main())\n", None),
    ) == [None, None]


def test_an_example_that_reads_a_name_a_left_out_one_binds_is_left_out_naming_it() -> None:
    assert page(
        ("server = start()\nport = server.port\n", "sockets"),
        ("print(1)\n", None),
        ("print(port)\n", None),
    ) == [None, None, Left("port", "sockets")]


def test_a_name_the_left_out_example_changed_in_place_is_spoiled_but_functions_are_not() -> None:
    # log is data: appending to it in a left-out example changes what a later one prints; the
    # function record, which the left-out example only calls, stays sound.
    assert page(
        ("log = []\ndef record(item):\n    log.append(item)\n", None),
        ("record(threading.get_ident())\n", "threads"),
        ("record(1)\n", None),
        ("print(log)\n", None),
    ) == [None, None, Left("log", "threads"), Left("log", "threads")]


def test_a_function_that_reads_a_spoiled_name_spoils_the_example_that_calls_it() -> None:
    # The tricky case: the later example names neither log nor the left-out example; it calls
    # a function defined before the left-out one, whose body reads log, which the left-out
    # example changed through a call of its own.
    assert page(
        ("log = []\ndef record(x):\n    log.append(x)\ndef show():\n    print(*log)\n", None),
        ("record(socket.gethostname())\n", "sockets"),
        ("show()\n", None),
    ) == [None, None, Left("log", "sockets")]


def test_a_local_name_is_not_a_global_one() -> None:
    assert page(
        ("loop = get_a_loop()\n", "the page's event loop"),
        ("def f():\n    loop = 1\n    return [loop for loop in range(loop)]\n\nprint(f())\n", None),
        ("def g(loop):\n    return loop\n\ng(1)\n", None),
    ) == [None, None, None]


def test_a_chain_of_dependencies_keeps_the_first_reason() -> None:
    assert page(
        ("reply = ask_the_server()\n", "sockets"),
        ("words = reply.split()\n", None),
        ("print(len(words))\n", None),
    ) == [None, Left("reply", "sockets"), Left("words", "sockets")]


def test_binding_before_reading_in_the_same_example_does_not_need_the_old_name() -> None:
    assert page(
        ("x = remote()\n", "sockets"),
        ("x = 1\nprint(x + 1)\n", None),
        ("print(x)\n", None),
        ("y = x + 1\n", None),
    ) == [None, None, None, None]
    # ... but reading before binding it does.
    assert page(("x = remote()\n", "sockets"), ("x += 1\n", None)) == [None, Left("x", "sockets")]


def test_storing_into_a_module_spoils_it() -> None:
    assert page(
        ("import companion\n", None),
        ("companion.handler = threading.Thread\n", "threads"),
        ("print(companion.handler)\n", None),
    ) == [None, None, Left("companion", "threads")]


def test_a_class_body_and_its_methods_read_globals_as_python_does() -> None:
    [statement] = statements(
        "class C(Base):\n    n = size\n    def m(self):\n        return n + other\n",
        session=False,
    )
    assert statement.reads == ["Base"]
    assert statement.binds == {"C": frozenset({"size", "n", "other"})}


@pytest.mark.parametrize(
    ("source", "reads", "binds"),
    [
        ("from a.b import c as d\nimport e.f\n", [], {"d": frozenset(), "e": frozenset()}),
        ("total += step\n", ["step", "total"], {"total": None}),
        ("print([y := t for t in items])\n", ["print", "items"], {"y": None}),
        ("f = lambda v, w=default: v + w + outer\n", ["default", "outer"], {"f": None}),
        ("try:\n    go()\nexcept Error as e:\n    pass\n", ["go", "Error"], {"e": None}),
        ("def broken(:\n", [], {}),  # a SyntaxError binds nothing
    ],
)
def test_what_a_statement_reads_and_binds(
    source: str, reads: list[str], binds: dict[str, frozenset[str] | None]
) -> None:
    found = statements(source, session=False)
    assert [name for statement in found for name in statement.reads] == reads
    assert {k: v for statement in found for k, v in statement.binds.items()} == binds


def test_a_doctest_session_is_read_prompt_by_prompt_and_its_output_is_not_code() -> None:
    session = ">>> x = 1\n>>> print(y)\ny is not a name\n"
    found = statements(session, session=True)
    assert [s.binds for s in found] == [{"x": None}, {}]
    assert [s.reads for s in found] == [[], ["print", "y"]]


def test_the_imports_of_an_example_left_out_still_run_so_its_modules_stay_sound() -> None:
    assert page(
        ("import asyncio, subprocess\nproc = subprocess.run(['true'])\n", "subprocesses"),
        ("asyncio.run(asyncio.sleep(0))\n", None),
        ("print(proc.returncode)\n", None),
    ) == [None, None, Left("proc", "subprocesses")]


def test_a_module_the_example_left_out_rebinds_or_changes_is_spoiled_all_the_same() -> None:
    assert page(
        ("import signal\nsignal = None\n", "signals"),
        ("print(signal)\n", None),
    ) == [None, Left("signal", "signals")]
    assert page(
        ("import companion\ncompanion.handler = threading.Thread\n", "threads"),
        ("print(companion)\n", None),
    ) == [None, Left("companion", "threads")]


def test_an_import_the_runner_does_not_keep_is_spoiled() -> None:
    assert page(
        ("import asyncio\nfrom sockety import serve\nserve()\n", "sockets"),
        ("asyncio.run(asyncio.sleep(0))\n", None),
        ("serve()\n", None),
    ) == [None, None, Left("serve", "sockets")]


def test_imports_are_the_top_level_imports_one_name_at_a_time() -> None:
    source = "import a.b, g\nx = 1\nfrom ..c import d as e\nif x:\n    import f\n"
    assert imports(source, session=False, keep=lambda code: True) == {
        "a": "import a.b",
        "g": "import g",
        "e": "from ..c import d as e",
    }
    assert imports(source, session=False, keep=lambda code: "g" not in code) == {
        "a": "import a.b",
        "e": "from ..c import d as e",
    }
    session = ">>> import a, b\n>>> a.run()\n1\n"
    assert imports(session, session=True, keep=lambda code: True) == {
        "a": "import a",
        "b": "import b",
    }
    assert imports("import (\n", session=False, keep=lambda code: True) == {}
