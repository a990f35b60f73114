"""Will the replay memory fit?  Asked before it is allocated, so a run that cannot fit is
refused at once instead of being killed by the operating system hours later.

    needed    = bytes per transition × capacity           (the memory's own arrays)
    available = MemAvailable in /proc/meminfo             (Linux; elsewhere: not checked)
    refuse if needed > MEMORY_FRACTION × available

Why a margin, and why check at all: np.zeros asks the kernel for pages it only hands over
when they are first written, so even a memory far larger than the RAM is "allocated" at
once, and fills up slowly while the run goes on; the out-of-memory killer strikes when it
is nearly full, which for a 1M-transition Atari memory is hours in.  The rest of available
memory is for everything else the run holds (networks, optimizer state, minibatches and
their im2col copies, Python, the emulator) and for the machine's other programs.
"""
import os

MEMORY_FRACTION = 0.8       # the replay memory may take at most this share of MemAvailable
MEMINFO = "/proc/meminfo"


class MemoryTooSmall(Exception):
    """The replay memory asked for would not fit in the memory available."""


def mem_available(meminfo: str = MEMINFO) -> int | None:
    """MemAvailable in bytes (the kernel's estimate of what can be allocated without
    swapping), or None where there is no such file (macOS, Windows) or no such line."""
    if not os.path.isfile(meminfo):
        return None
    with open(meminfo) as f:
        for line in f:                                  # "MemAvailable:   24244668 kB"
            name, _, rest = line.partition(":")
            if name == "MemAvailable":
                return int(rest.split()[0]) * 1024
    return None


def gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.2f} GB"


def check_replay_fits(capacity: int, bytes_per_transition: int, available: int | None) -> str:
    """Raise MemoryTooSmall if capacity transitions need more than MEMORY_FRACTION of
    `available` bytes; else return the line that says what was checked."""
    needed = capacity * bytes_per_transition
    sizes = f"replay memory: {capacity:,} transitions × {bytes_per_transition:,} bytes = {gb(needed)}"
    if available is None:
        return f"{sizes} (not checked against free memory: no MemAvailable in {MEMINFO} here)"
    allowed = MEMORY_FRACTION * available
    if needed > allowed:
        fits = int(allowed // bytes_per_transition)
        raise MemoryTooSmall(f"{sizes} does not fit: {gb(available)} available, of which the "
                             f"replay memory may take {MEMORY_FRACTION:.0%} ({gb(allowed)}); "
                             f"try --buffer-size {fits:,} or less")
    return f"{sizes}, of {gb(available)} available"
