"""`trainer build`: the presets, the pipeline data -> baseline -> SVD -> ADW -> k-means ->
package, the report."""
