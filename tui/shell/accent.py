"""Each tenant's accent colour: the console's header and sidebar and the shell's toolbar show the same one."""

from __future__ import annotations

import colorsys
import zlib


def accent_color(domain: str) -> str:
    """A stable, readable colour per tenant (hash of the domain → hue), as ``#rrggbb``."""
    h = zlib.crc32(domain.lower().encode("utf-8")) % 360
    r, g, b = colorsys.hls_to_rgb(h / 360.0, 0.62, 0.70)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
