gateway-assistant recommend --answers answers.yaml --write-bundle starter \
  --json > answer.json
python3 -c 'import json; print(json.load(open("answer.json"))["quick_answer"]["gateway"])'
ls starter
