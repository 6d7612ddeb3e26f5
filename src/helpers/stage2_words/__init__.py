"""Stage 2 (notebook 02): segments → tokens (person names masked) → term and concept frequencies."""
