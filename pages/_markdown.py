"""Text from a user's file shown through Markdown: escaped so that it shows as typed.

Pure Python (no streamlit), so it is tested on its own.
"""


import re

_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
#: Streamlit rewrites the text itself, after escapes are resolved: GFM links bare addresses
#: (``http://``, ``https://``, ``www.``, ``name@host``) and a typography step turns
#: ``->`` ``<-`` ``<->`` ``--`` ``>=`` ``<=`` ``~=`` between spaces into arrows and symbols.
#: An invisible WORD JOINER after ``http``, ``https``, ``www`` and ``@``, and between two
#: of ``< > - = ~``, breaks those patterns without changing what is shown.
_REWRITTEN = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?<=@)"
                        r"|(?<=[<>~=-])(?=[<>~=-])")


WORD_JOINER = "\u2060"


def markdown_text(value):
    """Text that Markdown shows literally: every ASCII punctuation mark backslash-escaped
    (CommonMark allows it for all of them), so a column name like ``[x](http://...)``,
    ``**x**``, ``$x$`` or ``:red[x]`` is shown as typed, never as a link, math or color;
    and a WORD JOINER keeps Streamlit from linking bare addresses (``http://...``,
    ``www.x``, ``a@b.c``) or turning ``a -> b`` into an arrow."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _REWRITTEN.sub(WORD_JOINER, str(value)))
