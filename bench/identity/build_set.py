"""Build the masked test set from the London set and observe every picture once (cached).

Deterministic: the masks, their placement jitter and the degradations come from seeds derived
from the file names.  The generated pictures are never written to disk unless ``--dump DIR``;
what is cached (``/tmp/finguard-identity-bench/observations.json`` by default, never committed)
is what the engine observed: detector, face count, quality, mask score and embeddings.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from finguard.identity.model.face import FaceObservation, Point
from finguard.identity.model.masks import STYLES, Degradation, MaskStyle, degrade, paint_mask
from finguard.identity.service.face_engine import DlibFaceEngine, load_image

LONDON = Path(os.environ.get("FINGUARD_LONDON_SET", Path(__file__).resolve().parents[3] / "shared/data/faces/london-set"))
if not LONDON.exists():
    LONDON = Path("/work/shared/data/faces/london-set")
CACHE = Path(os.environ.get("FINGUARD_IDENTITY_BENCH_CACHE", "/tmp/finguard-identity-bench/observations.json"))


def seed_of(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("/".join(parts).encode(), digest_size=4).digest(), "big")


def conditions() -> list[tuple[str, MaskStyle | None, Degradation | None]]:
    """Every capture condition: plain, each mask style, and each degradation over a mask."""
    out: list[tuple[str, MaskStyle | None, Degradation | None]] = [("plain", None, None)]
    out += [(f"mask:{s.name}", s, None) for s in STYLES]
    out += [(f"hard:{d.value}", None, d) for d in Degradation]
    return out


def captures() -> list[tuple[str, str, Path]]:
    """(identity, picture id, path) of every capture: smiling London faces, impostors, other sessions."""
    out = [(p.stem, f"smiling/{p.stem}", p) for p in sorted((LONDON / "smiling").glob("*.jpg"))]
    out += [(f"ca-{p.stem}", f"canada/{p.stem}", p) for p in sorted((LONDON / "canada-impostors").glob("*.jpg"))]
    out += [("other", f"other/{p.stem}", p) for p in sorted((LONDON / "other-sessions").glob("*.jpg"))]
    return out


def openpeople_sets() -> tuple[list[tuple[str, Path]], list[tuple[str, str, Path]]]:
    """The ``openpeople`` package's 10 synthetic people (MIT): studio portrait on file, amateur selfie captured."""
    try:
        import openpeople
    except ImportError:
        return [], []
    root = Path(openpeople.__file__).parent / "data" / "curated"
    people = sorted(p.name for p in root.iterdir() if (p / "assets" / "studio_portrait.jpg").exists())
    refs = [(f"op-{p}", root / p / "assets" / "studio_portrait.jpg") for p in people]
    caps = [(f"op-{p}", f"openpeople/{p}", root / p / "assets" / "amateur_selfie.jpg") for p in people]
    return refs, caps


def _obs_dict(obs: FaceObservation) -> dict[str, object]:
    return asdict(obs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="only the first N identities (smoke runs)")
    ap.add_argument("--dump", type=Path, help="also write the generated pictures here (for a look)")
    ap.add_argument("--part", default="1/1", help="K/N: observe only the K-th of N slices of the captures (run N processes, one per core)")
    ap.add_argument("--openpeople", action="store_true", help="observe the openpeople package's 10 synthetic people instead")
    args = ap.parse_args()
    k, n_parts = (int(x) for x in args.part.split("/"))
    cache_path = CACHE if n_parts == 1 else CACHE.with_name(f"{CACHE.stem}.part{k}of{n_parts}.json")
    if args.openpeople:
        cache_path = CACHE.with_name(f"{CACHE.stem}.openpeople.json")
    engine = DlibFaceEngine()
    cache: dict[str, dict[str, object]] = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    started = time.time()

    def save() -> None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache))
        tmp.replace(cache_path)

    refs = [(p.stem, p) for p in sorted((LONDON / "neutral").glob("*.jpg"))]
    refs += [(f"other-{p.stem}", p) for p in sorted((LONDON / "other-sessions").glob("lisa-*.jpg"))]
    caps = captures()
    if args.limit:
        keep = {stem for stem, _ in refs[: args.limit]}
        refs = refs[: args.limit]
        caps = [c for c in caps if c[0] in keep or c[0].startswith("ca-0") or c[0] == "other"]
    caps = caps[(k - 1) * len(caps) // n_parts : k * len(caps) // n_parts]
    if k > 1:
        refs = []  # the first part observes the photos on file
    if args.openpeople:
        refs, caps = openpeople_sets()
    for stem, p in refs:
        key = f"ref/{stem}"
        if key not in cache:
            img, scale = load_image(p.read_bytes())
            cache[key] = _obs_dict(engine.observe_image(img, scale, occlude_at=0.0))
    save()
    for n, (ident, pid, path) in enumerate(caps):
        todo = [c for c in conditions() if f"cap/{pid}/{c[0]}" not in cache]
        if not todo:
            continue
        img, _ = load_image(path.read_bytes())
        found, _ = engine.detect(img)
        if not found:
            print(f"no face in the unmasked {pid}: skipped", file=sys.stderr)
            continue
        points: list[Point] = list(found[0].points)
        for name, style, deg in todo:
            seed = seed_of(pid, name)
            pic = img
            if style is not None:
                pic = paint_mask(img, points, style, seed)
            if deg is not None:
                chosen = STYLES[seed % len(STYLES)]
                pic = degrade(paint_mask(img, points, chosen, seed), deg, seed)
            # Round-trip through JPEG like an upload, then observe from bytes as the service does.
            buf = io.BytesIO()
            pic.save(buf, "JPEG", quality=88)
            if args.dump:
                args.dump.mkdir(parents=True, exist_ok=True)
                (args.dump / f"{pid.replace('/', '_')}_{name.replace(':', '_')}.jpg").write_bytes(buf.getvalue())
            obs = engine.observe(buf.getvalue(), occlude_at=0.0)
            entry = _obs_dict(obs)
            entry["identity"] = ident
            entry["style"] = style.name if style else (STYLES[seed % len(STYLES)].name if deg else "none")
            entry["pixels"] = max(pic.size)
            cache[f"cap/{pid}/{name}"] = entry
        if n % 10 == 0:
            save()
            print(f"{n + 1}/{len(caps)} captures, {time.time() - started:.0f} s", flush=True)
    save()
    print(f"done: {len(cache)} observations in {cache_path}, {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
