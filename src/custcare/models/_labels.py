"""Enums whose members carry a Chinese and an English label."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

__all__ = ["LabelledEnum"]


class LabelledEnum(str, Enum):
    """A string enum whose members have a stable code and Chinese/English labels.

    Subclasses define members as ``NAME = ("code", "中文标签", "English label")``.
    The member's value is the code, so it serialises to JSON as the code.

    Examples:
        >>> class Color(LabelledEnum):
        ...     RED = ("red", "红色", "Red")
        >>> Color.RED.value, Color.RED.label_zh, Color.RED.label_en
        ('red', '红色', 'Red')
        >>> Color("red") is Color.RED
        True
    """

    _value_: str
    label_zh: str
    label_en: str

    if TYPE_CHECKING:  # the value is the code, whatever the member tuple looks like

        @property
        def value(self) -> str: ...

    else:  # type checkers see the plain ``Enum(code)`` lookup

        def __new__(cls, code: str, label_zh: str, label_en: str) -> LabelledEnum:
            member = str.__new__(cls, code)
            member._value_ = code
            member.label_zh = label_zh
            member.label_en = label_en
            return member

    def __str__(self) -> str:
        return str(self.value)

    def label(self, language: str = "en") -> str:
        """The display label in ``"zh"`` or ``"en"``.

        Examples:
            >>> from custcare import OrderStatus
            >>> OrderStatus.COMPLETED.label("zh")
            '交易成功'
        """
        if language.lower().startswith("zh"):
            return self.label_zh
        return self.label_en
