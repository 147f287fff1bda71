gateway-assistant recommend --answers answers.yaml --json --write-bundle starter > answer.json
python3 -c 'import json; print(json.load(open("answer.json"))["quick_answer"]["gateway"])'
ls starter
