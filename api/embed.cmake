# Turns IN (a text file) into OUT, a C file defining api_openapi_json and
# api_openapi_json_len.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "#include <stddef.h>\nconst unsigned char api_openapi_json[] = {${bytes} 0};\nconst size_t api_openapi_json_len = ${len};\n")
