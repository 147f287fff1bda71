claude -p "Why does this fail: grep alice /etc/passwd | cut -d: -f7"
