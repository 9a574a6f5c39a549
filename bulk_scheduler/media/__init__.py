"""Media preflight: probe each distinct media URL (HEAD and a few ranged reads)
and read container metadata (MP4 duration and size, image dimensions)."""
