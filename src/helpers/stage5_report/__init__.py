"""Stage 5 (notebook 05 and the charts of 02–04): charts, English glosses, HTML blocks and the report sections."""
