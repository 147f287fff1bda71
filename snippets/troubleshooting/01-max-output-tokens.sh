export CLAUDE_CODE_MAX_OUTPUT_TOKENS=64000   # the limit the error names, after ">"
