"""Compare screenshots with the accepted set, pixel by pixel, in the test's own Chromium.

No image library: the browser decodes both PNGs into canvases and counts the pixels whose
colour differs by more than a small tolerance (anti-aliasing), and paints a difference image
(changed pixels red over a faded copy of the new screenshot).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

COMPARE_JS = """
async ([a, b, tolerance]) => {
  const load = (src) => new Promise((ok, fail) => {
    const img = new Image(); img.onload = () => ok(img); img.onerror = fail; img.src = src;
  });
  const [ia, ib] = await Promise.all([load(a), load(b)]);
  const w = Math.max(ia.width, ib.width), h = Math.max(ia.height, ib.height);
  const pixels = (img) => {
    const c = new OffscreenCanvas(w, h), g = c.getContext("2d");
    g.fillStyle = "#ff00ff"; g.fillRect(0, 0, w, h); g.drawImage(img, 0, 0);
    return g.getImageData(0, 0, w, h);
  };
  const pa = pixels(ia), pb = pixels(ib);
  const out = new OffscreenCanvas(w, h), og = out.getContext("2d");
  const diff = og.createImageData(w, h);
  let changed = 0;
  for (let i = 0; i < pa.data.length; i += 4) {
    const d = Math.max(Math.abs(pa.data[i] - pb.data[i]), Math.abs(pa.data[i + 1] - pb.data[i + 1]),
                       Math.abs(pa.data[i + 2] - pb.data[i + 2]));
    if (d > tolerance) {
      changed++; diff.data[i] = 255; diff.data[i + 1] = 0; diff.data[i + 2] = 0; diff.data[i + 3] = 255;
    } else {
      const v = 255 - (255 - pb.data[i + 1]) / 4;
      diff.data[i] = v; diff.data[i + 1] = v; diff.data[i + 2] = v; diff.data[i + 3] = 255;
    }
  }
  og.putImageData(diff, 0, 0);
  const blob = await out.convertToBlob({ type: "image/png" });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let bin = ""; for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { changed, total: w * h, sizeA: [ia.width, ia.height], sizeB: [ib.width, ib.height], png: btoa(bin) };
}
"""


@dataclass
class Difference:
    name: str
    changed: int
    total: int
    accepted_size: tuple[int, int]
    current_size: tuple[int, int]

    @property
    def ratio(self) -> float:
        return self.changed / self.total if self.total else 0.0

    def line(self) -> str:
        size = (
            ""
            if self.accepted_size == self.current_size
            else f" (size {self.accepted_size[0]}x{self.accepted_size[1]}"
            f" -> {self.current_size[0]}x{self.current_size[1]})"
        )
        return f"{self.name}: {self.changed} of {self.total} pixels differ ({self.ratio:.2%}){size}"


def _data_url(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def compare(page, accepted: Path, current: Path, diff_out: Path, tolerance: int = 24) -> Difference:
    """Pixels of `current` that differ from `accepted`; the difference image goes to diff_out."""
    page.goto("about:blank")
    r = page.evaluate(COMPARE_JS, [_data_url(accepted), _data_url(current), tolerance])
    diff_out.parent.mkdir(parents=True, exist_ok=True)
    diff_out.write_bytes(base64.b64decode(r["png"]))
    return Difference(current.stem, r["changed"], r["total"], tuple(r["sizeA"]), tuple(r["sizeB"]))
