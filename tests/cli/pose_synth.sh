#!/usr/bin/env bash
# pose-synth as a user runs it: every format, detections, determinism across thread counts,
# refusing to overwrite, and bad options (exit 2, one line naming the option). The output is
# checked independently with Python's json and OpenCV.
set -euo pipefail
work="${POSEKD_TEST_WORK:?}"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
py=/usr/bin/python3

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_error STATUS PATTERN COMMAND...: the command fails with STATUS and its stderr matches.
expect_error() {
  local want=$1 pattern=$2 status=0
  shift 2
  "$@" >stdout.txt 2>stderr.txt || status=$?
  [ "$status" -eq "$want" ] || fail "$* exited $status, expected $want: $(cat stderr.txt)"
  grep -qE -- "$pattern" stderr.txt || fail "$*: stderr does not match '$pattern': $(cat stderr.txt)"
  [ ! -s stdout.txt ] || fail "$*: wrote to stdout on error"
}

out=$(pose-synth -q -o coco -n 8 --seed 3 --detections coco/detections.json)
[ "$out" = "coco/annotations.json" ] || fail "stdout should name the annotation file, got '$out'"
pose-synth -q -o crowd -n 6 --format crowdpose --difficulty hard --threads 2 >/dev/null
pose-synth -q -o mpii -n 6 --format mpii --image-format png --max-people 3 >/dev/null
pose-synth -q -o lsp -n 5 --skeleton lsp14 --size 160x200 --label-noise 0.5 --annotations lsp.json >/dev/null

# Same seed, different thread counts: identical trees.
pose-synth -q -o coco-t1 -n 8 --seed 3 --threads 1 --detections coco-t1/detections.json >/dev/null
pose-synth -q -o coco-t2 -n 8 --seed 3 --threads 2 --detections coco-t2/detections.json >/dev/null
diff -r coco-t1 coco-t2 >/dev/null || fail "output differs between --threads 1 and 2"
cmp -s coco/images/000005.jpg coco-t1/images/000005.jpg || fail "output differs from the default thread count"

"$py" - <<'EOF'
import json, os, sys
import cv2

def fail(msg):
    sys.exit("FAIL: " + msg)

def check_image(path, width, height):
    img = cv2.imread(path)
    if img is None: fail(f"{path} does not decode")
    if img.shape[:2] != (height, width): fail(f"{path}: expected {width}x{height}, found {img.shape[1]}x{img.shape[0]}")

def check_coco(root, name, joints, width, height, crowdpose=False):
    d = json.load(open(os.path.join(root, name)))
    images = {im["id"]: im for im in d["images"]}
    if not images: fail(f"{root}: no images")
    for im in images.values():
        check_image(os.path.join(root, im["file_name"]), width, height)
        if crowdpose != ("crowdIndex" in im): fail(f"{root}: crowdIndex presence wrong")
    if len(os.listdir(os.path.join(root, "images"))) != len(images): fail(f"{root}: image files != images listed")
    ids = set()
    for a in d["annotations"]:
        if a["image_id"] not in images: fail(f"{root}: annotation {a['id']} names a missing image")
        if a["id"] < 1 or a["id"] in ids: fail(f"{root}: annotation ids must be unique and >= 1")
        ids.add(a["id"])
        if a["category_id"] != 1 or a["iscrowd"] != 0: fail(f"{root}: category/iscrowd")
        k = a["keypoints"]
        if len(k) != 3 * joints: fail(f"{root}: {len(k)} keypoint values, expected {3 * joints}")
        vis = k[2::3]
        if a["num_keypoints"] != sum(v > 0 for v in vis): fail(f"{root}: num_keypoints")
        x, y, w, h = a["bbox"]
        if x < 0 or y < 0 or x + w > width or y + h > height: fail(f"{root}: bbox {a['bbox']} leaves the image")
        if not 0 < a["area"] <= w * h: fail(f"{root}: area {a['area']} vs bbox {a['bbox']}")
        for j in range(joints):
            kx, ky, v = k[3 * j:3 * j + 3]
            if v == 0 and (kx, ky) != (0, 0): fail(f"{root}: v=0 joint with coordinates")
            if v > 0 and not (-0.5 <= kx < width - 0.5 and -0.5 <= ky < height - 0.5): fail(f"{root}: labelled joint outside")
    cat = d["categories"][0]
    if len(cat["keypoints"]) != joints: fail(f"{root}: category keypoints")
    if not all(1 <= i <= joints and 1 <= j <= joints for i, j in cat["skeleton"]): fail(f"{root}: skeleton not 1-based")
    return d

coco = check_coco("coco", "annotations.json", 17, 256, 192)
check_coco("crowd", "annotations.json", 14, 256, 192, crowdpose=True)
check_coco("lsp", "lsp.json", 14, 160, 200)

dets = json.load(open("coco/detections.json"))
ids = {im["id"] for im in coco["images"]}
if not dets: fail("no detections")
for det in dets:
    if det["image_id"] not in ids or det["category_id"] != 1 or len(det["bbox"]) != 4 or not 0 < det["score"] <= 1:
        fail(f"bad detection {det}")

mpii = json.load(open("mpii/annotations.json"))
if not mpii: fail("mpii: no people")
for p in mpii:
    check_image(os.path.join("mpii", p["image"]), 256, 192)
    if len(p["joints"]) != 16 or len(p["joints_vis"]) != 16: fail("mpii: 16 joints expected")
    if p["scale"] <= 0 or len(p["center"]) != 2 or len(p["headbox"]) != 4: fail("mpii: center/scale/headbox")
    for (x, y), v in zip(p["joints"], p["joints_vis"]):
        if v == 0 and (x, y) != (-1, -1): fail("mpii: unlabelled joints are [-1, -1]")
        if v == 1 and not (0.5 <= x < 256.5 and 0.5 <= y < 192.5): fail("mpii: 1-based coordinates inside the image")
EOF

# An existing output needs --force; with it the run succeeds.
expect_error 2 "coco/annotations.json: output exists \(use --force to overwrite\)" pose-synth -o coco -n 2
pose-synth -q -o coco -n 2 --force >/dev/null
[ "$(ls coco/images | wc -l)" -eq 2 ] || fail "--force should remove the stale images"

expect_error 2 "--size: expected WIDTHxHEIGHT" pose-synth -o bad -n 1 --size 100
expect_error 2 "--format: .*bmp" pose-synth -o bad -n 1 --format bmp
expect_error 2 "--label-noise: expected --split train" pose-synth -o bad -n 1 --split val --label-noise 0.1
expect_error 2 "--scale-range: expected 0.02 < LO <= HI" pose-synth -o bad -n 1 --scale-range 0.9 0.2
expect_error 2 "--max-people: expected" pose-synth -o bad -n 1 --min-people 3 --max-people 2
expect_error 2 "--skeleton: expected one of coco17" pose-synth -o bad -n 1 --skeleton coco18
expect_error 2 "--output is required" pose-synth -n 1
expect_error 2 "missing/detections.json: output directory missing does not exist" \
  pose-synth -o bad -n 1 --detections missing/detections.json
[ ! -e bad/annotations.json ] || fail "a failed run left an annotation file"

# --help and the man page list the same options (STYLE 8).
pose-synth --help >help.txt
page="$POSEKD_SOURCE_DIR/man/man1/pose-synth.1"
for opt in $(grep -oE -- '--[a-z][a-z-]+' help.txt | sort -u); do
  grep -q -- "$(echo "$opt" | sed 's/-/\\\\-/g')" "$page" || fail "$opt is in --help but not in the man page"
done
pose-synth --version | grep -q "pose-synth (posekd)" || fail "--version"
echo "pose_synth: ok"
