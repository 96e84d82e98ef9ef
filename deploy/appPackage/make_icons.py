"""Draw the Teams app icons (color.png 192x192, outline.png 32x32) with the standard library only.

    python deploy/appPackage/make_icons.py            # rewrite both PNGs next to this script
    python deploy/appPackage/make_icons.py --check    # exit 1 if the committed PNGs differ

The symbol is a ring with a check mark in it ("activation done"):
- color.png: white symbol on a solid brand-blue square (Teams draws its own rounded frame);
- outline.png: the same symbol in pure white on a transparent background, as Teams requires
  for the outline icon (every visible pixel is #FFFFFF; only the alpha channel varies).
Edges are anti-aliased by supersampling; the output is deterministic, byte for byte.
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent

BRAND_BLUE = (0x0B, 0x5C, 0xAD)
WHITE = (0xFF, 0xFF, 0xFF)

# Shape in unit coordinates (0..1 on both axes, y down).
RING_CENTER = (0.5, 0.5)
CHECK_POINTS = ((0.34, 0.52), (0.45, 0.63), (0.67, 0.39))


def _segment_distance(px: float, py: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
    t = max(0.0, min(1.0, t))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def symbol(ring_radius: float, stroke: float) -> Callable[[float, float], bool]:
    """Return inside(x, y) for the ring-and-check symbol, in unit coordinates."""
    half = stroke / 2.0
    (a, b, c) = CHECK_POINTS

    def inside(x: float, y: float) -> bool:
        r = math.hypot(x - RING_CENTER[0], y - RING_CENTER[1])
        if abs(r - ring_radius) <= half:
            return True
        return _segment_distance(x, y, a, b) <= half or _segment_distance(x, y, b, c) <= half

    return inside


def coverage(size: int, inside: Callable[[float, float], bool], samples: int = 4) -> list[list[float]]:
    """Fraction of each pixel covered by the shape (samples x samples points per pixel)."""
    grid = []
    step = 1.0 / samples
    for row in range(size):
        line = []
        for col in range(size):
            hits = 0
            for sy in range(samples):
                y = (row + (sy + 0.5) * step) / size
                for sx in range(samples):
                    x = (col + (sx + 0.5) * step) / size
                    if inside(x, y):
                        hits += 1
            line.append(hits / (samples * samples))
        grid.append(line)
    return grid


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, rows: list[bytes], color_type: int) -> bytes:
    """Encode 8-bit rows (already packed RGB or RGBA) as a PNG; filter type 0 on every row."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")


def color_icon(size: int = 192) -> bytes:
    """Opaque RGB: white symbol on brand blue, symbol inside the central safe area."""
    cover = coverage(size, symbol(ring_radius=0.30, stroke=0.075))
    rows = []
    for line in cover:
        row = bytearray()
        for c in line:
            for bg, fg in zip(BRAND_BLUE, WHITE, strict=True):
                row.append(round(bg + (fg - bg) * c))
        rows.append(bytes(row))
    return encode_png(size, size, rows, color_type=2)


def outline_icon(size: int = 32) -> bytes:
    """RGBA: pure white everywhere, alpha carries the symbol; the background is fully transparent."""
    cover = coverage(size, symbol(ring_radius=0.38, stroke=0.10), samples=8)
    rows = []
    for line in cover:
        row = bytearray()
        for c in line:
            alpha = round(255 * c)
            row.extend((255, 255, 255, alpha))
        rows.append(bytes(row))
    return encode_png(size, size, rows, color_type=6)


ICONS: dict[str, Callable[[], bytes]] = {"color.png": color_icon, "outline.png": outline_icon}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where to write the PNGs (default: beside this script)")
    parser.add_argument("--check", action="store_true", help="only compare with the files on disk; exit 1 on a difference")
    args = parser.parse_args(argv)

    stale = []
    for name, draw in ICONS.items():
        data = draw()
        target = args.out_dir / name
        if args.check:
            if not target.is_file() or target.read_bytes() != data:
                stale.append(name)
        else:
            target.write_bytes(data)
            print(f"wrote {target} ({len(data)} bytes)")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run make_icons.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
