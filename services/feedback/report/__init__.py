"""The quarterly commissioners' report: the four questions of the insight, one page each, as a PDF
built from the same published figures the insight endpoints answer (`gather`, `document`)."""
