"""Stage 1 (notebook 01): files → decoded texts → cleaned texts with a replayable log → placed documents → segments."""
