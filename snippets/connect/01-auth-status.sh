claude auth status --text
