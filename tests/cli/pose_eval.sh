# pose-eval as a user runs it: good input in every output form, bad input with its exit
# status and one-line message, the real samples when present, --help against the man page.
. "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
FIX="$POSEKD_SOURCE_DIR/tests/fixtures/eval"
GT="$FIX/coco_000.gt.json"
PRED="$FIX/coco_000.results.json"

expect_status 0 pose-eval "$GT" "$PRED"
expect_stdout '^COCO keypoints'
expect_stdout '^  AP +[0-9.-]+$'
expect_stdout '^  AR_L +'

expect_status 0 pose-eval "$GT" "$PRED" --json
/usr/bin/python3 -c 'import json,sys; d=json.load(open("out.txt")); assert len(d["metrics"]["coco"]["summary"]) == 10' \
  || fail "--json is not JSON with 10 COCO numbers"
expect_status 0 pose-eval "$GT" "$PRED" --csv
expect_stdout '^metric,section,name,column,value$'
expect_stdout '^coco,summary,AP50,,'

expect_status 0 pose-eval "$FIX/crowdpose_000.gt.json" "$FIX/crowdpose_000.results.json"
expect_stdout '^CrowdPose'
expect_stdout '^  AP_hard '

expect_status 0 pose-eval "$GT" "$PRED" --metric coco,pck --per-joint --plot curves.png
expect_stdout 'PCK@0.2'
expect_stdout '^  left_ankle '
[ "$(head -c 8 curves.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "--plot did not write a PNG"
expect_status 2 pose-eval "$GT" "$PRED" --plot curves.png
expect_stderr 'curves.png: output exists \(use --force to overwrite\)'
expect_status 0 pose-eval "$GT" "$PRED" --plot curves.png --force --rescore --oks-nms 0.9
expect_stdout 'post-processing: rescoring on, OKS-NMS at 0.9'

# --print-config round-trips through --config.
expect_status 0 pose-eval "$GT" "$PRED" --print-config
cp out.txt eval.toml
expect_status 0 pose-eval --config eval.toml
expect_stdout '^COCO keypoints'

# Bad input: one line, naming the file and the entry.
IMG=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"][0]["id"])' "$GT")
KP=$(/usr/bin/python3 -c 'print(",".join(str(10 + i) if i % 3 < 2 else "1" for i in range(51)))')
echo "[{\"image_id\": 987654321, \"category_id\": 1, \"score\": 1, \"keypoints\": [$KP]}]" > unknown.json
expect_status 1 pose-eval "$GT" unknown.json
expect_stderr '^pose-eval: error: unknown.json: 1 of 1 results refer to images that are not in .*coco_000.gt.json \(first: \[0\] image_id 987654321\)$'
expect_one_line_error
echo "[{\"image_id\": $IMG, \"category_id\": 1, \"score\": 1, \"keypoints\": [1, 2, 1]}]" > short.json
expect_status 1 pose-eval "$GT" short.json
expect_stderr 'short.json:\[0\] \(image_id [0-9]+\):keypoints: expected 51 numbers \(17 joints\), found 3'
expect_one_line_error
echo "[{\"image_id\": $IMG, \"category_id\": 1, \"score\": 1, \"keypoints\": [NaN, $KP]}]" > nan.json
expect_status 1 pose-eval "$GT" nan.json
expect_stderr '^pose-eval: error: nan.json'
expect_one_line_error
echo "[]" > empty.json
expect_status 1 pose-eval "$GT" empty.json
expect_stderr 'empty.json: no predictions to evaluate$'
echo "[{\"image_id\": $IMG, \"category_id\": 3, \"score\": 1, \"keypoints\": [$KP]}]" > othercat.json
expect_status 1 pose-eval "$GT" othercat.json
expect_stderr 'othercat.json: no result has a category of .*coco_000.gt.json \(1 results of other categories\)'
/usr/bin/python3 -c 'import json,sys; g=json.load(open(sys.argv[1])); g["categories"].append(dict(g["categories"][0], id=2)); json.dump(g, open("twocat.json", "w"))' "$GT"
expect_status 1 pose-eval twocat.json "$PRED"
expect_stderr '^pose-eval: error: twocat.json:categories: expected one keypoint category, found 2$'
echo "[[[1, 2]]]" > rows.json
expect_status 1 pose-eval "$GT" rows.json
expect_stderr 'rows.json:\[0\]: expected 17 joints \(coco17\), found 1'

# Usage errors: exit 2.
expect_status 2 pose-eval "$GT" missing.json
expect_status 2 pose-eval "$GT" "$PRED" --metric nope
expect_stderr "--metric: expected coco, crowdpose, pckh, lsp-pck or pck, found 'nope'"
expect_status 2 pose-eval "$GT" "$PRED" --pckh-variant loose
expect_stderr "--pckh-variant: expected default, strict, plain-mean, head-neck or hrnet, found 'loose'"
expect_status 2 pose-eval "$GT" "$PRED" --json --csv
expect_stderr '^pose-eval: error: --json and --csv exclude each other$'

if have_realdata; then
  R="$POSEKD_REALDATA"
  expect_status 0 pose-eval "$R/mpii/test_mpii_with_headbox.json" "$R/mpii/pred_bearpaw-hg_s8_b1_first5.json" --pckh-variant hrnet --csv
  # HRNet's mpii.py on the same people and predictions.
  expect_stdout '^pckh,summary,Mean,,95.45454545454545$'
  expect_stdout '^pckh,summary,Mean@0.1,,30.3030303030303$'
  expect_status 1 pose-eval "$R/mpii/test_mpii.json" "$R/mpii/pred_bearpaw-hg_s8_b1_first5.json"
  expect_stderr 'no headbox'
  expect_status 0 pose-eval "$R/coco/test_coco.json" "$FIX/realdata_coco.results.json" --csv
  expect_stdout '^coco,summary,AP,,0.28617790350463623$'
else
  echo "../shared/realdata absent: real-sample checks not run"
fi

# Every option in --help is in the man page and the other way round (STYLE 8).
expect_status 0 pose-eval --help
grep -oE -- '--[a-z][a-z0-9-]+' out.txt | sort -u > help-options.txt
grep -oE -- '\\-\\-[a-z][a-z0-9\\-]+' "$POSEKD_SOURCE_DIR/man/man1/pose-eval.1" | sed 's/\\//g' | sort -u > man-options.txt
diff help-options.txt man-options.txt > /dev/null || { fail "--help and pose-eval.1 list different options"; diff help-options.txt man-options.txt >&2; }
finish
