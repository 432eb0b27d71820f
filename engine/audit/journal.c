/*
 * journal.c — the journal read back, one JSON text per record, from one
 * snapshot.
 */
#include <stdlib.h>

#include "audit.h"

struct record_walk {
  socloss *led;
  socloss_record_cb cb;
  void *ud;
};

static int each_record(void *ud, uint64_t seq, const void *rec, size_t len) {
  struct record_walk *w = ud;
  socloss_event e;
  record_ids ids;
  deficit_rec d;
  char *json = NULL;
  int type = record_type(rec, len);
  if (type == EV_DEFICIT) {
    if (deficit_decode(rec, len, &d) == 0) {
      json = deficit_json(seq, &d);
      deficit_rec_free(&d);
      if (!json) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    }
  } else if (type == EV_EVENT_JOINT) {
    joint_rec j;
    if (joint_decode(rec, len, &j) == 0) {
      json = joint_json(seq, &j);
      joint_rec_free(&j);
      if (!json) return err_fail(SOCLOSS_ENOMEM, "out of memory");
    }
  } else if (record_is_aux(type)) {
    json = aux_record_json(seq, rec, len);
  } else if (record_decode(rec, len, &e, &ids) == 0) {
    json = record_json(seq, &e);
    if (!json) return err_fail(SOCLOSS_ENOMEM, "out of memory");
  }
  if (!json)
    return err_fail(SOCLOSS_ESTORE, "journal record %llu is corrupt",
                       (unsigned long long)seq);
  int stop = w->cb(w->ud, seq, json);
  free(json);
  return stop ? callback_stopped() : SOCLOSS_OK;
}

struct journal_read {
  struct record_walk w;
  uint64_t from;
};

static int read_journal(store_txn *t, void *ud) {
  struct journal_read *r = ud;
  return store_each_record(t, r->from, each_record, &r->w);
}

int journal_run(socloss *led, uint64_t from, socloss_record_cb cb, void *ud) {
  int rc = SOCLOSS_OK;
  struct journal_read r = {{led, cb, ud}, from};
  return rc ? rc : store_read(led->st, read_journal, &r);
}
