# Compiler cache, linker and warning flags shared by every target.

find_program(AIRPG_CCACHE ccache)
if(AIRPG_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${AIRPG_CCACHE}")
endif()

# mold links several times faster than ld.bfd; g++ 12 accepts -fuse-ld=mold.
find_program(AIRPG_MOLD mold)
if(AIRPG_MOLD)
  add_link_options(-fuse-ld=mold)
endif()

add_compile_options(-Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(AIRPG_WERROR)
  add_compile_options(-Werror)
endif()
# g++ 12 at -O2/-O3 reports false -Wrestrict overlaps in std::string's
# operator+ (GCC bug 105329); the warning is noise there, not a finding.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  add_compile_options(-Wno-restrict)
endif()

if(AIRPG_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
