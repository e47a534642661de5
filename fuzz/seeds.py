#!/usr/bin/env python3
"""Synthetic seeds for the fuzz targets (called by seed.sh): small inputs that reach deep into
each parser, written without any image library.

usage: seeds.py REPO_ROOT CORPUS_DIR TARGET...
"""
import hashlib
import io
import json
import os
import re
import struct
import sys
import tarfile
import zlib


def put(corpus, target, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def segment(marker, body):
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def flat_jpeg(width, height, components=1, sampling=(1, 1), progressive=False, restart=0):
    """A valid JPEG of flat blocks, as bestpick_core::decode::jpeg::synth::Flat writes it,
    plus an optional restart interval."""
    n = components
    h, v = sampling
    out = b"\xFF\xD8"
    out += segment(0xDB, b"\x00" + bytes([1] * 64))
    sof = bytes([8]) + struct.pack(">HH", height, width) + bytes([n])
    for i in range(n):
        f = (h << 4 | v) if i == 0 else 0x11
        sof += bytes([i + 1, f, 0])
    out += segment(0xC2 if progressive else 0xC0, sof)
    for cls in (0x00, 0x10):
        out += segment(0xC4, bytes([cls, 1] + [0] * 15 + [0]))
    if restart:
        out += segment(0xDD, struct.pack(">H", restart))
    sos = bytes([n])
    for i in range(n):
        sos += bytes([i + 1, 0x00])
    se, bits_per_block = (0, 1) if progressive else (63, 2)
    sos += bytes([0, se, 0])
    out += segment(0xDA, sos)
    if n == 1:
        blocks_per_mcu = 1
        mcus = -(-width // 8) * -(-height // 8)
    else:
        blocks_per_mcu = h * v + n - 1
        mcus = -(-width // (8 * h)) * -(-height // (8 * v))
    data = b""
    if restart:
        # Each interval is byte-aligned, padded with ones, followed by RSTn.
        per = restart * blocks_per_mcu * bits_per_block
        k = 0
        left = mcus
        while left > 0:
            count = min(restart, left)
            bits = count * blocks_per_mcu * bits_per_block
            chunk = b"\x00" * (bits // 8)
            if bits % 8:
                chunk += bytes([0xFF >> (bits % 8)])
            data += chunk
            left -= count
            if left > 0:
                data += bytes([0xFF, 0xD0 + (k & 7)])
                k += 1
        del per
    else:
        bits = mcus * blocks_per_mcu * bits_per_block
        data = b"\x00" * (bits // 8)
        if bits % 8:
            data += bytes([0xFF >> (bits % 8)])
    return out + data + b"\xFF\xD9"


def jpegs():
    yield flat_jpeg(16, 16)
    yield flat_jpeg(100, 60)
    yield flat_jpeg(97, 45, 3, (2, 2))
    yield flat_jpeg(64, 40, 3, (2, 1))
    yield flat_jpeg(64, 40, 3, (1, 1), progressive=True)
    yield flat_jpeg(40, 40, 1, progressive=True)
    yield flat_jpeg(128, 64, 3, (2, 2), restart=2)
    yield flat_jpeg(64, 64, 1, restart=1)


def tiny_verified_jpeg(seed):
    """The smallest JPEG the bundle verifier accepts (see bestpick-bundle archive tests)."""
    v = b"\xFF\xD8"
    v += segment(0xDB, bytes(65))
    v += segment(0xC0, bytes([8, 0, 1, 0, 1, 1, 1, 0x11, 0]))
    v += segment(0xDA, bytes([1, 1, 0, 0, 63, 0]))
    return v + bytes([seed, 0xFF, 0xD9])


def png(chunks):
    out = b"\x89PNG\r\n\x1a\n"
    for kind, data in chunks:
        out += struct.pack(">I", len(data)) + kind + data
        out += struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return out


def tiny_png():
    return png([
        (b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])),
        (b"IDAT", zlib.compress(b"\x00\x10\x20\x30")),
        (b"IEND", b""),
    ])


def bundle(images, anonymous_id="f" * 32, extra=None):
    manifest = {
        "schema_version": 1,
        "anonymous_id": anonymous_id,
        "images": [{"name": n, "scores": {"sharpness": 0.5}} for n, _ in images],
        "buckets": {},
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        entries = [("manifest.json", json.dumps(manifest).encode())]
        entries += [("images/" + n, d) for n, d in images]
        entries += extra or []
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def bundles():
    a = ("a" * 64 + ".jpg", tiny_verified_jpeg(1))
    b = ("b" * 64 + ".jpg", tiny_verified_jpeg(2))
    yield bundle([a])
    yield bundle([a, b])
    yield bundle([])
    yield bundle([a], extra=[("etc/passwd", b"x")])


def tiff_exif():
    """A little-endian TIFF with IFD0 (Make, Model, Orientation) and an EXIF IFD."""
    entries0 = []
    strings = b""
    base = 8
    make, model = b"Canon\0", b"Canon EOS 5D\0"
    n0 = 4
    ifd0_size = 2 + 12 * n0 + 4
    exif_ifd_at = base + ifd0_size
    n1 = 3
    exif_size = 2 + 12 * n1 + 4
    data_at = exif_ifd_at + exif_size
    make_at = data_at
    model_at = make_at + len(make)
    dt_at = model_at + len(model)
    dt = b"2024:01:01 13:15:00\0"
    rat_at = dt_at + len(dt)
    entries0.append(struct.pack("<HHII", 0x010F, 2, len(make), make_at))
    entries0.append(struct.pack("<HHII", 0x0110, 2, len(model), model_at))
    entries0.append(struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0))
    entries0.append(struct.pack("<HHII", 0x8769, 4, 1, exif_ifd_at))
    entries1 = [
        struct.pack("<HHII", 0x9003, 2, len(dt), dt_at),
        struct.pack("<HHII", 0x829A, 5, 1, rat_at),
        struct.pack("<HHIHH", 0x8827, 3, 1, 400, 0),
    ]
    out = b"II*\0" + struct.pack("<I", 8)
    out += struct.pack("<H", n0) + b"".join(entries0) + struct.pack("<I", 0)
    out += struct.pack("<H", n1) + b"".join(entries1) + struct.pack("<I", 0)
    out += make + model + dt + struct.pack("<II", 1, 250)
    return out


def xmp_packets(root):
    tests = os.path.join(root, "crates/bestpick-catalog/src/xmp/tests.rs")
    try:
        text = open(tests, encoding="utf-8").read()
    except OSError:
        text = ""
    for m in re.finditer(r'r#"(.*?)"#', text, re.S):
        body = m.group(1)
        if "rdf:RDF" in body or "xmpmeta" in body:
            yield body.encode()
    yield (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="3"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()
    yield (
        '\ufeff<x:xmpmeta xmlns:x="adobe:ns:meta/">\n <rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n  <rdf:Description '
        'rdf:about=""\n    xmlns:darktable="http://darktable.sf.net/">\n   '
        "<darktable:colorlabels>\n    <rdf:Seq>\n     <rdf:li>2</rdf:li>\n    </rdf:Seq>\n"
        "   </darktable:colorlabels>\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"
    ).encode()


def main():
    root, corpus, targets = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    if targets & {"jpeg", "jpeg_differential", "raw_preview"}:
        for j in jpegs():
            for t in {"jpeg", "jpeg_differential"} & targets:
                put(corpus, t, j)
            if "raw_preview" in targets:
                # A TIFF-looking header, then an embedded preview.
                put(corpus, "raw_preview", b"II*\0" + bytes(60) + j + bytes(16))
    if "exif" in targets or "heic_meta" in targets:
        t = tiff_exif()
        if "exif" in targets:
            put(corpus, "exif", t)
            app1 = segment(0xE1, b"Exif\0\0" + t)
            put(corpus, "exif", b"\xFF\xD8" + app1 + flat_jpeg(8, 8)[2:])
        if "heic_meta" in targets:
            put(corpus, "heic_meta", b"\0\0\0\x06Exif\0\0" + t)
            put(corpus, "heic_meta", b"\0\0\0\0" + t)
    if "verify_image" in targets:
        put(corpus, "verify_image", tiny_verified_jpeg(7))
        put(corpus, "verify_image", tiny_png())
        for j in jpegs():
            put(corpus, "verify_image", j)
    if "bundle_archive" in targets:
        for b in bundles():
            put(corpus, "bundle_archive", b)
    if "seal_open" in targets:
        put(corpus, "seal_open", b"BPB\x01\x01" + bytes(32) + b"ciphertext" + bytes(16))
        for b in bundles():
            put(corpus, "seal_open", b"\x05" + b[:2048])
    if "xmp_merge" in targets:
        for i, p in enumerate(xmp_packets(root)):
            for choice in (0x00, 0x25 + i, 0x86, 0xC9):
                put(corpus, "xmp_merge", bytes([choice & 0xFF]) + p)


if __name__ == "__main__":
    main()
