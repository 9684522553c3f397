"""Working a mention without replying to it: assigning it to a team member or a queue,
internal notes, tags, closing it with a reason and reopening it; on one mention or on a
selection at once (`WorkDesk`, reached as `ConsoleService.work`)."""
