# One prompt through the gateway. The SDK runs Claude Code, which reads
# ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN from this process's environment.
import anyio
from claude_agent_sdk import AssistantMessage, TextBlock, query


async def main():
    async for message in query(prompt="Reply with the word pong"):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(block.text)


anyio.run(main)
