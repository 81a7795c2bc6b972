"""Pausing the cyclic garbage collector while building many small objects."""

from __future__ import annotations

import gc
from types import TracebackType

__all__ = ["gc_paused"]


class gc_paused:  # noqa: N801 - used like a function: ``with gc_paused():``
    """Pause the cyclic collector for a block, and restore it as it was.

    Building a list of tuples or results per record creates objects that cannot
    form cycles; each collection the allocations trigger walks every live object
    (the caller's histories included), so a pass over a large population would
    grow faster than the population. Nothing is freed later than it would be:
    reference counting still frees everything at once. (A class, not a generator:
    leaving the block allocates nothing that could start a collection inside it.)

    Examples:
        >>> import gc
        >>> with gc_paused():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """

    __slots__ = ("_enabled",)

    def __enter__(self) -> None:
        self._enabled = gc.isenabled()
        if self._enabled:
            gc.disable()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._enabled:
            gc.enable()
