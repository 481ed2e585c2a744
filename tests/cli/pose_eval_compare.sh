# pose-eval with several predictions files, as the demo report uses it: perfect predictions,
# the same with left and right swapped, and a noisy copy, on pose-synth images (real JPEGs):
# the comparison table, CSV and JSON, the overlaid curves, the bar chart and the image grid.
. "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"

expect_status 0 pose-synth -o val --split val -n 6 --seed 3
GT=val/annotations.json
# Results files from the ground truth: exact, left/right swapped, shifted by 6 px.
/usr/bin/python3 - "$GT" <<'PY'
import json, sys
gt = json.load(open(sys.argv[1]))
names = gt["categories"][0]["keypoints"]
mirror = [names.index(n.replace("left", "R").replace("right", "left").replace("R", "right")) for n in names]
def results(transform):
    out = []
    for a in gt["annotations"]:
        k = a["keypoints"]
        pts = [(k[3 * j], k[3 * j + 1]) for j in range(len(names))]
        pts = transform(pts)
        out.append({"image_id": a["image_id"], "category_id": 1, "score": 1.0,
                    "keypoints": sum(([x, y, 1.0] for x, y in pts), [])})
    return out
json.dump(results(lambda p: p), open("exact.preds.json", "w"))
json.dump(results(lambda p: [p[m] for m in mirror]), open("swapped.results.json", "w"))
json.dump(results(lambda p: [(x + 6, y) for x, y in p]), open("shifted.json", "w"))
PY

expect_status 0 pose-eval "$GT" exact.preds.json swapped.results.json shifted.json
expect_stdout '^COCO keypoints'
expect_stdout '^  model +AP +AP50 +AP75 +AP_M +AP_L +AR +AR50 +AR75 +AR_M +AR_L$'
expect_stdout '^  exact +1\.0000 +1\.0000 '
expect_stdout '^  swapped +0\.[0-9]{4} '
expect_stdout '^  shifted +0\.[0-9]{4} '
# Each row equals the one-file evaluation of that file.
for f in swapped.results.json shifted.json; do
  expect_status 0 pose-eval "$GT" "$f" --csv
  single=$(awk -F, '$1 == "coco" && $3 == "AP" {print $5}' out.txt)
  expect_status 0 pose-eval "$GT" exact.preds.json "$f" --csv
  label=${f%%.*}
  compared=$(awk -F, -v m="$label" '$1 == m && $2 == "coco" && $4 == "AP" {print $6}' out.txt)
  [ -n "$single" ] && [ "$single" = "$compared" ] || fail "$f: AP $single alone, '$compared' in the comparison"
done
expect_stdout '^model,metric,section,name,column,value$'

expect_status 0 pose-eval "$GT" exact.preds.json shifted.json --label teacher --label "student, noisy" --json --metric coco,pck
/usr/bin/python3 -c '
import json
d = json.load(open("out.txt"))
m = d["models"]
assert [x["label"] for x in m] == ["teacher", "student, noisy"], m
assert m[0]["metrics"]["coco"]["summary"]["AP"] == 1.0
assert m[1]["metrics"]["pck"]["summary"]["AUC"] < m[0]["metrics"]["pck"]["summary"]["AUC"] and m[1]["metrics"]["coco"]["summary"]["AP"] < 1.0
' || fail "--json comparison does not carry the labels and the numbers"
expect_status 0 pose-eval "$GT" exact.preds.json shifted.json --label teacher --label "student, noisy" --csv
expect_stdout '^"student, noisy",coco,summary,AP,,'

# Figures: PNGs of the expected size (grid: a 204-px column per file, 28-px header, 244-px rows).
expect_status 0 pose-eval "$GT" exact.preds.json swapped.results.json shifted.json --metric coco,pck \
  --plot curves.png --bar-chart bars.png --grid grid.png --grid-images 3
for f in curves.png bars.png grid.png; do
  [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$f is not a PNG"
done
/usr/bin/python3 -c '
import cv2
g = cv2.imread("grid.png"); b = cv2.imread("bars.png"); c = cv2.imread("curves.png")
assert g.shape[:2] == (28 + 3 * 244, 3 * 204), g.shape
assert b.shape[0] == 2 * 480 and c.shape[0] == 2 * 480, (b.shape, c.shape)
# The swapped column differs from the exact one (colours of left and right limbs trade places).
assert (g[28:, 0:204] != g[28:, 204:408]).any()
' || fail "figures have unexpected sizes or content"
expect_status 2 pose-eval "$GT" exact.preds.json --bar-chart bars.png
expect_stderr 'bars.png: output exists \(use --force to overwrite\)'

# Bad input: a label count that does not match, a missing image for the grid.
expect_status 2 pose-eval "$GT" exact.preds.json shifted.json --label one
expect_stderr '^pose-eval: error: --label: expected one per predictions file \(2\), found 1$'
mv val/images val/images.moved
expect_status 1 pose-eval "$GT" exact.preds.json --grid g2.png
expect_stderr "^pose-eval: error: .*annotations.json:images \(id [0-9]+\): cannot open .*\.jpg$"
expect_one_line_error
[ ! -e g2.png ] || fail "--grid left a file behind after failing"
finish
