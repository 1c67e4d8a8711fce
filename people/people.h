/*
 * people.h - the park's directory of people: who works for which
 * enterprise (or for the park), the posts they hold and how to reach them.
 * The hidden-hazard register checks an assignee against it (one of the
 * hazard's enterprise), notification resolves rosters and escalation
 * steps to it, shift handover names its officers from it.
 *
 * Loaded once from JSON (parkd's config "people" array, or a file):
 *   [{"id": "e001-zhang", "name": "Zhang Wei", "name_zh": "张伟",
 *     "enterprise": "E001",          "" or absent: the park's own staff
 *     "posts": ["shift_leader"],     shift_leader, safety_director,
 *                                    duty_officer, maintenance, manager
 *     "phone": "+8613800000000", "email": "zhang@example.cn",
 *     "wecom_userid": "zhangwei", "dingtalk_mobile": "13800000000"}]
 * Every field is checked where it enters (people_load): ids unique,
 * [A-Za-z0-9._-]{1,63}; known posts only; phone "+" and 6..15 digits;
 * email one "@" with text each side; strings at most 127 bytes, no
 * control characters. An error names the entry and the field.
 *
 * Ownership: people_load returns a directory the caller frees with
 * people_free; the pointers people_find/people_at hand out live until
 * then. Thread rules: immutable after people_load; any thread may read.
 */
#ifndef PARKWATCH_PEOPLE_H
#define PARKWATCH_PEOPLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum people_post {
    PEOPLE_POST_SHIFT_LEADER = 0, /* 班长: the shift's first responder */
    PEOPLE_POST_SAFETY_DIRECTOR,  /* 安全总监 of an enterprise */
    PEOPLE_POST_DUTY_OFFICER,     /* 园区值班员: the park's duty officer */
    PEOPLE_POST_MAINTENANCE,      /* 维修: instrument and equipment staff */
    PEOPLE_POST_MANAGER,          /* 主要负责人: the enterprise's principal */
    PEOPLE_POST_COUNT
} people_post;

const char *people_post_name(people_post p);
bool people_post_parse(const char *name, people_post *out);

typedef struct person {
    char id[64];
    char name[128], name_zh[128];
    char enterprise[32]; /* "" for the park's own staff */
    unsigned posts;      /* bit (1u << people_post) per post held */
    char phone[24], email[128], wecom_userid[128], dingtalk_mobile[24];
} person;

typedef struct people people;

/* Loads the directory from a JSON array (NULL or an empty array: an empty
 * directory). 0, or -1 with err naming the entry and field. */
int people_load(const json_t *array, people **out, char *err, size_t errcap);
void people_free(people *p);

size_t people_count(const people *p);
const person *people_at(const people *p, size_t i);         /* NULL past the end */
const person *people_find(const people *p, const char *id); /* NULL: no such person */

#endif
