"""Stage 4 (notebook 04): segments → figures the texts report, with value, unit, subject, owner and category."""
