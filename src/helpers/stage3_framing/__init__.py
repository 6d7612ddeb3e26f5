"""Stage 3 (notebook 03): segments → codebook hits → street framing rates, profiles, keyness and similarity."""
