promtool check rules alert-rules.yml
