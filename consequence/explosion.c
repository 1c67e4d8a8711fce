/* explosion.c - placeholder until its model lands (see consequence.h). */
#include "consequence/consequence.h"
