"""Pure geometry and planning maths: CRS, the district, keep-out zones, the reach model,
coverage (k-coverage), dock siting and routing around keep-out zones.

Depends only on numpy, shapely, pyproj and scipy; imports nothing else of Skyloop's.
"""
