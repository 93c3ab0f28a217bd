"""Memory figures of the current process (Linux /proc), shared by the benchmark scripts."""


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    """Current resident set size (MB)."""
    return _status_mb("VmRSS:")


def peak_rss_mb() -> float:
    """Peak resident set size (MB) of this program: VmHWM, which exec resets (ru_maxrss
    would also count the parent's pages a forked child held before exec)."""
    return _status_mb("VmHWM:")
