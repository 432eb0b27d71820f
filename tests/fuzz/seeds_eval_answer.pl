#!/usr/bin/env perl
# seeds_eval_answer.pl — writes the seed corpus of fuzz_eval_answer
# (tests/fuzz/corpus/eval_answer/): evaluator answers as they travel on the
# socket, encoded as evalproto_encode_response does (engine/common/evalproto.c),
# for the ledger of tests/fuzz/fuzz_eval_answer.c.  The codec's integers are
# big-endian; the action array and the frame's length travel in native
# (x86-64: little-endian) order.  Run it again after a
# change of the wire format: perl tests/fuzz/seeds_eval_answer.pl
#
# A seed is a scenario byte ('0' A1 alone, '1' a sequential event of A1 and
# A2, '2' a joint event), then the frames.  The ledger: A1 bankrupt by 461
# in X (market 0: 200 of it) and Y (market 1: 261), A2 by 100 in X (its
# market 0); the fund has 100.  Candidates by index: of A1, 0 A2, 1 D, 2 L1,
# 3 L2, 4 P1 (X -30, 600 of profit), 5 P2 (Y -10, 400 of profit); of A2 the
# same with A1 at 0; of the joint haircut 0 D, 1 L1, 2 L2, 3 P1, 4 P2.
use strict;
use warnings;
use File::Basename qw(dirname);

my $dir = dirname(__FILE__) . "/corpus/eval_answer";
mkdir dirname($dir); mkdir $dir;
unlink glob("$dir/*");

my ($OK, $LOAD, $ERROR, $INSTR, $MEMORY, $TIME, $RESULT) = (0, 1, 2, 3, 4, 5, 6);

# A response: status, message, name, has_deleverage, has_haircut,
# instructions, actions [[index, market, value, share], ...], data, lua,
# build, log (what the policy logged: entries ended by newlines).
sub response {
  my (%r) = @_;
  my $b = pack("NN", 0x534c5231, $r{status} // $OK);
  my $msg = $r{message} // "";
  $b .= pack("N", length $msg) . $msg;
  my $name = $r{name} // "";
  $b .= pack("C", length $name) . $name;
  $b .= pack("CC", $r{dl} // 0, $r{hc} // 0);
  $b .= pack("q>", $r{instructions} // 0);
  my @a = @{$r{actions} // []};
  $b .= pack("N", scalar @a);
  $b .= "\0" x ((8 - length($b) % 8) % 8);
  $b .= pack("L<L<q<L<L<", $_->[0], $_->[1], $_->[2], $_->[3] // 0, 0) for @a;
  my $data = $r{data} // "";
  $b .= pack("N", length $data) . $data;
  # the evaluator names itself: Lua's release, its build id
  for my $s ($r{lua} // "Lua 5.4.4", $r{build} // ("0f" x 32)) { $b .= pack("C", length $s) . $s; }
  my $log = $r{log} // "";
  $b .= pack("N", length $log) . $log;
  return $b;
}

sub frame { my ($b) = @_; return pack("Q<", length $b) . $b; }

my %probe_hc = (name => "fz", hc => 1);
my %probe_both = (name => "fz", dl => 1, hc => 1);
my %probe_dl = (name => "fz", dl => 1);

my $P1 = 4;  # in A1's and A2's candidates
my $P2 = 5;
my @seeds = (
  # A1 alone, deciding (the shortfall is 361 once the fund has paid)
  ["0", "haircut_pro_rata", [response(%probe_hc), response(actions => [[$P1, 0, 200], [$P2, 0, 161]])]],
  ["0", "haircut_one_payer", [response(%probe_hc), response(actions => [[$P1, 0, 361]])]],
  ["0", "haircut_nothing", [response(%probe_hc), response(actions => [])]],
  ["0", "haircut_part", [response(%probe_hc), response(actions => [[$P1, 0, 1], [$P2, 0, 2], [3, 0, 3]])]],
  ["0", "haircut_depositor", [response(%probe_hc), response(actions => [[1, 0, 361]])]],
  ["0", "no_steps", [response(name => "fz")]],
  ["0", "deleverage_full",
   [response(%probe_both), response(actions => [[$P1, 0, 10, 10000], [$P2, 1, 9, 10000]]), response(actions => [])]],
  ["0", "deleverage_half_share",
   [response(%probe_both), response(actions => [[$P1, 0, 10, 5000]]), response(actions => [[$P2, 0, 100]])]],
  ["0", "deleverage_zero_share", [response(%probe_dl), response(actions => [[$P1, 0, 4, 0], [$P2, 1, 2, 0]])]],
  ["0", "deleverage_some", [response(%probe_both), response(actions => [[$P1, 0, 3, 10000]]), response(actions => [[$P2, 0, 50]])]],
  ["0", "deleverage_nothing", [response(%probe_both), response(actions => []), response(actions => [[$P1, 0, 200]])]],
  # A1 alone, refused
  ["0", "load_error", [response(status => $LOAD, message => "policy:1: unexpected symbol near 'x'")]],
  ["0", "call_error", [response(%probe_hc), response(status => $ERROR, message => "policy:7: boom")]],
  ["0", "instructions", [response(%probe_hc), response(status => $INSTR, message => "instruction budget exceeded")]],
  ["0", "memory", [response(%probe_hc), response(status => $MEMORY, message => "memory budget exceeded")]],
  ["0", "time", [response(%probe_hc), response(status => $TIME, message => "time budget exceeded")]],
  ["0", "result", [response(%probe_hc), response(status => $RESULT, message => "action 1: amount is a float")]],
  ["0", "unknown_status", [response(%probe_hc), response(status => 77, message => "?")]],
  ["0", "index_out_of_range", [response(%probe_hc), response(actions => [[6, 0, 1]])]],
  ["0", "index_huge", [response(%probe_hc), response(actions => [[0xffffffff, 0, 1]])]],
  ["0", "market_out_of_range", [response(%probe_dl), response(actions => [[$P1, 2, 1, 10000]])]],
  ["0", "share_over", [response(%probe_dl), response(actions => [[$P1, 0, 1, 10001]])]],
  ["0", "haircut_over_shortfall", [response(%probe_hc), response(actions => [[$P1, 0, 362]])]],
  ["0", "haircut_over_equity", [response(%probe_hc), response(actions => [[1, 0, 501]])]],
  ["0", "haircut_bankrupt_candidate", [response(%probe_hc), response(actions => [[0, 0, 1]])]],
  ["0", "haircut_negative", [response(%probe_hc), response(actions => [[$P1, 0, -5]])]],
  ["0", "haircut_zero", [response(%probe_hc), response(actions => [[$P1, 0, 0]])]],
  ["0", "haircut_int64_max", [response(%probe_hc), response(actions => [[$P1, 0, 9223372036854775807], [$P2, 0, 9223372036854775807]])]],
  ["0", "haircut_int64_min", [response(%probe_hc), response(actions => [[$P1, 0, -9223372036854775807 - 1]])]],
  ["0", "haircut_twice", [response(%probe_hc), response(actions => [[$P1, 0, 100], [$P1, 0, 100]])]],
  ["0", "deleverage_wrong_side", [response(%probe_dl), response(actions => [[2, 0, 5, 10000]])]],
  ["0", "deleverage_too_many", [response(%probe_dl), response(actions => [[$P1, 0, 31, 10000]])]],
  ["0", "deleverage_beyond_bankrupt", [response(%probe_dl), response(actions => [[$P1, 0, 11, 10000]])]],
  ["0", "deleverage_twice", [response(%probe_dl), response(actions => [[$P1, 0, 2, 10000], [$P1, 0, 2, 10000]])]],
  ["0", "deleverage_no_position", [response(%probe_dl), response(actions => [[1, 0, 1, 10000]])]],
  ["0", "deleverage_negative", [response(%probe_dl), response(actions => [[$P1, 0, -1, 10000]])]],
  # the wire itself
  ["0", "name_control_chars", [response(name => "f\x1b[31mz\x00\xff", hc => 1), response(actions => [[$P1, 0, 361]])]],
  ["0", "message_not_utf8", [response(%probe_hc), response(status => $ERROR, message => "\xff\xfe\x1b]0;x\x07\xc3")]],
  ["0", "message_long", [response(%probe_hc), response(status => $ERROR, message => "x" x 600)]],
  ["0", "data_blob", [response(%probe_hc), response(actions => [[$P1, 0, 361]], data => "{\"a\":1}")]],
  # what a policy logged: shown, never decided on; a broken evaluator's
  # control characters and invalid UTF-8 tamed, one past the most refused
  ["0", "log_lines", [response(%probe_hc), response(actions => [[$P1, 0, 361]], log => "shortfall 361\ncolumn{600, 400}\n")]],
  ["0", "log_raw_bytes", [response(%probe_hc), response(actions => [[$P1, 0, 361]], log => "\x1b[31mred\x00\xff\xc2\x9b\r\n")]],
  ["0", "log_failed_call", [response(%probe_hc), response(status => $ERROR, message => "policy:4: boom", log => "before the error\n")]],
  ["0", "log_full", [response(%probe_hc), response(actions => [[$P1, 0, 361]], log => ("x" x 4095) . "\n[log truncated: this call's 4096 bytes are spent]\n")]],
  ["0", "log_over_max", [response(%probe_hc), response(actions => [[$P1, 0, 361]], log => "y" x 4161)]],
  ["0", "stops_after_probe", [response(%probe_hc)]],
  ["0", "silent", []],
  # a sequential event: A1 (shortfall 361), then A2 (the fund is empty: 100)
  ["1", "event_both_charged", [response(%probe_hc), response(actions => [[$P1, 0, 361]]),
                                response(%probe_hc), response(actions => [[$P2, 0, 100]])]],
  ["1", "event_both_deleverage", [response(%probe_both), response(actions => [[$P1, 0, 10, 10000], [$P2, 1, 9, 10000]]),
                                   response(actions => []), response(%probe_both),
                                   response(actions => [[$P1, 0, 5, 10000]]), response(actions => [])]],
  ["1", "event_first_fails", [response(%probe_hc), response(status => $ERROR, message => "policy:3: no"),
                               response(%probe_hc), response(actions => [[$P2, 0, 100]])]],
  ["1", "event_second_fails", [response(%probe_hc), response(actions => [[$P1, 0, 200]]),
                                response(%probe_hc), response(actions => [[$P1, 0, 1401]])]],
  ["1", "event_second_charges_first", [response(%probe_hc), response(actions => [[$P1, 0, 361]]),
                                        response(%probe_hc), response(actions => [[0, 0, 1]])]],
  ["1", "event_stops", [response(%probe_hc), response(actions => [[$P1, 0, 361]])]],
  # a joint event: A1's and A2's closes, one haircut for both (461 once the fund paid 100)
  ["2", "joint_haircut", [response(%probe_hc), response(actions => [[3, 0, 277], [4, 0, 184]])]],
  ["2", "joint_haircut_nothing", [response(%probe_hc), response(actions => [])]],
  ["2", "joint_deleverage", [response(%probe_both), response(actions => [[$P1, 0, 10, 10000]]),
                             response(actions => [[$P1, 0, 5, 10000]]), response(actions => [[4, 0, 100]])]],
  ["2", "joint_over_shortfall", [response(%probe_hc), response(actions => [[3, 0, 462]])]],
  ["2", "joint_out_of_range", [response(%probe_hc), response(actions => [[5, 0, 1]])]],
  ["2", "joint_error", [response(%probe_hc), response(status => $ERROR, message => "policy:9: joint")]],
  ["2", "joint_stops", [response(%probe_both), response(actions => [])]],
);
my $n = 0;
for my $s (@seeds) {
  my ($scenario, $name, $frames) = @$s;
  open(my $f, ">:raw", "$dir/$name") or die "$dir/$name: $!";
  print $f $scenario, map { frame($_) } @$frames;
  close $f;
  $n++;
}
# cut and damaged frames
my $good = "0" . frame(response(%probe_hc)) . frame(response(actions => [[$P1, 0, 200], [$P2, 0, 161]]));
my %raw = (
  "truncated_frame" => substr($good, 0, length($good) - 5),
  "truncated_length" => substr($good, 0, 6),
  "bad_magic" => "0" . frame("SLR2" . substr(response(%probe_hc), 4)),
  "trailing_byte" => "0" . frame(response(%probe_hc) . "x"),
  "length_over_max" => "0" . pack("Q<", 1 << 32) . response(%probe_hc),
  "actions_count_lies" => "0" . frame(response(%probe_hc)) .
    frame(substr(response(actions => [[$P1, 0, 361]]), 0, 23) . pack("N", 1000) .
          substr(response(actions => [[$P1, 0, 361]]), 27)),
);
for my $name (sort keys %raw) {
  open(my $f, ">:raw", "$dir/$name") or die "$dir/$name: $!";
  print $f $raw{$name};
  close $f;
  $n++;
}
print "wrote $n seeds in $dir\n";
