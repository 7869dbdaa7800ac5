# Write the file IN as a C string constant NAME into the header OUT.
# Usage: cmake -DIN=src/boot.py -DOUT=boot_py.h -DNAME=boot_py -P embed.cmake
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " bytes "${hex}")
string(REGEX REPLACE "(([^ ]+ ){12})" "\\1\n\t" bytes "${bytes}")
file(WRITE "${OUT}"
  "/* Generated from ${IN} at build time; edit that file instead. */\n"
  "static const char ${NAME}[] = {\n\t${bytes}0x00\n};\n")
