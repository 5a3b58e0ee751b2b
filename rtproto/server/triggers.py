"""The words in a user's message that steer both simulated models (Responses and Chat).

Documented for scenario authors: the word "fail" makes the response fail, the word "refuse" makes
the model refuse, and naming a tool (its name, or a word of its name of 4+ letters, like
"weather" for `get_weather`) makes the model call it. Matching is by whole word, any case.
"""

from __future__ import annotations

import re

FAIL = "fail"
REFUSE = "refuse"
MIN_NAME_WORD = 4


def has_word(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE) is not None


def names_tool(text: str, name: str) -> bool:
    words = [word for word in re.split(r"[_\-\s]+", name) if len(word) >= MIN_NAME_WORD]
    return has_word(text, name) or any(has_word(text, word) for word in words)
