python3 -m pip install -c conf/constraints.txt nox
python3 -m nox -s build
