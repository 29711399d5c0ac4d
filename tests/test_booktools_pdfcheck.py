"""The PDF's own checks: no Type 3 font, a full contents page, its parts, no "genindex"."""

from __future__ import annotations

import pytest

from booktools.editions.pdfcheck import (
    chapters,
    check,
    contents,
    numbered_parts,
    part_headings,
    roman,
    type3_fonts,
)

PDFFONTS = """\
name                                 type              encoding         emb sub uni object ID
------------------------------------ ----------------- ---------------- --- --- --- ---------
SARGLP+FreeSansBold-Identity-H       CID Type 0C       Identity-H       yes yes yes      4  0
JSDEOA+DejaVuSansMono                CID TrueType      Identity-H       yes yes yes     38  0
HIVEWO+CMMI5                         Type 1C           Builtin          yes yes no     101  0
HALGZS+DejaVuSans                    Type 3            Custom           yes yes yes   1016  0
EXGQQK+DejaVuSansMono                Type 3            Custom           yes yes yes   1410  0
"""

TEX = r"""
\newcommand{\bookbackmatter}[1]{\setcounter{secnumdepth}{-2}\part{#1}}
\chapter{Preface}
\part{Generators}
\chapter{yield and next}
\chapter{return in a generator, and PEP 479}
\part{asyncio}
\chapter{create\_task}
\bookbackmatter{Reference}
\chapter{Glossary}
"""

CONTENTS = """\
Contents

Preface                                                                  iii
I    Generators                                                            1
1    yield and next                                                        3
     1.1 What do you get when you call a generator function? . . . . .     3
2    return in a generator, and PEP
     479                                                                  27
II asyncio                                                                 31
3    create_task                                                          33
"""

CONTENTS_2 = """\
Reference                                                                 41
Glossary . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . .  45
Index                                                                     51
"""

PREFACE = """\
Preface

This book explains how Python's generators work; the Index, the Glossary and
the API reference lead straight to the answer.
"""

PAGES = [
    "From yield to asyncio\nRelease 0.1.0\n",
    CONTENTS,
    CONTENTS_2,
    PREFACE,
    "Part I\n\nGenerators\n",
    "Part II\n\nasyncio\n",
]


def test_type3_fonts_are_found_by_their_type_column() -> None:
    assert type3_fonts(PDFFONTS) == ["HALGZS+DejaVuSans", "EXGQQK+DejaVuSansMono"]
    assert type3_fonts(PDFFONTS.replace("Type 3 ", "TrueType")) == []


def test_chapters_are_read_from_the_tex_as_plain_text() -> None:
    assert chapters(TEX) == [
        "Preface",
        "yield and next",
        "return in a generator, and PEP 479",
        "create_task",
        "Glossary",
    ]


def test_numbered_parts_leave_out_the_unnumbered_back_matter() -> None:
    assert numbered_parts(TEX) == 2


@pytest.mark.parametrize(
    ("number", "numeral"), [(1, "I"), (3, "III"), (4, "IV"), (9, "IX"), (14, "XIV")]
)
def test_roman_numerals(number: int, numeral: str) -> None:
    assert roman(number) == numeral


def test_part_headings_stand_on_their_own_lines() -> None:
    assert part_headings("Part I\nGenerators\nin Part II we\n  Part III  \n") == ["I", "III"]


def test_the_contents_run_from_their_heading_while_pages_list_page_numbers() -> None:
    assert contents(PAGES) == CONTENTS + "\n" + CONTENTS_2
    assert contents([PREFACE]) == ""


def test_a_good_pdf_has_no_problems() -> None:
    clean_fonts = PDFFONTS.replace("Type 3 ", "TrueType")
    assert check(clean_fonts, PAGES, TEX) == []


def test_each_fault_is_reported() -> None:
    # The contents list only parts (as when chapters sat below the contents' depth), Part II has
    # no heading, the preface prints "genindex", and the charts use Type 3 fonts.
    shallow = "Contents\n\nPreface   iii\nI Generators   1\nII asyncio   31\n"
    pages = ["Title", shallow, PREFACE.replace("Index", "genindex"), "Part I\nGenerators"]
    problems = check(PDFFONTS, pages, TEX)
    assert problems == [
        "Type 3 font HALGZS+DejaVuSans: embed TrueType (matplotlib's pdf.fonttype 42)",
        "Type 3 font EXGQQK+DejaVuSansMono: embed TrueType (matplotlib's pdf.fonttype 42)",
        "chapter not in the contents: yield and next",
        "chapter not in the contents: return in a generator, and PEP 479",
        "chapter not in the contents: create_task",
        "chapter not in the contents: Glossary",
        "no heading 'Part II'",
        "the text says 'genindex' (a link to the HTML index printed as its label)",
    ]


def test_a_pdf_without_a_contents_page_fails() -> None:
    assert check("", [PREFACE], TEX)[0] == "no contents page (a page headed 'Contents')"


def test_a_translated_pdf_is_checked_in_its_own_words() -> None:
    tex = TEX.replace("{yield and next}", "{yield 与 next}")
    contents = CONTENTS.replace("Contents", "目录").replace("yield and next", "yield 与 next")
    pages = [contents, CONTENTS_2, PREFACE, "第 I 部分\n\nGenerators\n", "第 II 部分\n\nasyncio\n"]
    words = {"contents_heading": "目录", "part_label": "第 %s 部分"}
    assert check("", pages, tex, **words) == []
    # The Chinese title is looked for in the contents too, and a missing part is named its way.
    missing = [contents.replace("yield 与 next", "yield"), *pages[1:4]]
    assert check("", missing, tex, **words) == [
        "chapter not in the contents: yield 与 next",
        "no heading '第 II 部分'",
    ]
