"""Xiezi as an IBus input method (issue 26): a bridge process under the system's python3 and
the pad's end of its local socket. See docs/insertion.md, "IBus"."""
