"""The Slack bot. Listeners parse, acknowledge, call the agent and render: no computation."""
