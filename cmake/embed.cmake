# Write the Python files of the folder DIR as C strings into the header OUT,
# with a table of them, py_sources: {"NAME", text} for each NAME.py, sorted,
# ending with {NULL, NULL}.
# Usage: cmake -DDIR=src/py -DOUT=py_sources.h -P embed.cmake
file(GLOB files "${DIR}/*.py")
string(REPEAT "[^ ]+ " 12 twelve) # CMake's regexes have no {12}
set(arrays "")
set(table "")
foreach(file ${files})
  get_filename_component(name "${file}" NAME_WE)
  string(MAKE_C_IDENTIFIER "${name}" id)
  if(NOT id STREQUAL name)
    message(FATAL_ERROR "${file}: not a module name")
  endif()
  file(READ "${file}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " bytes "${hex}")
  string(REGEX REPLACE "(${twelve})" "\\1\n\t" bytes "${bytes}")
  string(APPEND arrays
         "static const char py_${name}[] = {\n\t${bytes}0x00\n};\n")
  string(APPEND table "\t{\"${name}\", py_${name}},\n")
endforeach()
file(WRITE "${OUT}"
  "/* Generated from the .py files of ${DIR} at build time; edit those. */\n"
  "${arrays}"
  "static const struct py_source {\n"
  "\tconst char *name, *text;\n"
  "} py_sources[] = {\n${table}\t{NULL, NULL},\n};\n")
