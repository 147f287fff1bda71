claude -p "Read notes.txt, then answer in one word" --allowedTools Read
