# Sourced by the load scripts: prints the manifest of the GM four-layer
# region they serve (Trafford localities as neighbourhoods, GM wards as
# communities, MSOAs and LSOAs as context).   gm_four_layers NAME DATA_DIR
layer() { printf '[[layers]]\nid = "%s"\nrole = "%s"\nfile = "%s/%s"\nid_property = "%s"\nname_property = "area_name"\n' "$@"; }
gm_four_layers() {
  echo "name = \"$1\""
  layer localities neighbourhood "$2" trafford_localities_2023.geojson area_name
  layer wards community "$2" gm_wards_2023.geojson area_code
  layer msoas context "$2" gm_msoa_2021.geojson area_code
  layer lsoas context "$2" gm_lsoa_2021.geojson area_code
}
