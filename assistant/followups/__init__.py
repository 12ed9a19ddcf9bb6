"""Follow-ups: a question that leans on the conversation (pronouns, ellipsis) made a standalone one."""
