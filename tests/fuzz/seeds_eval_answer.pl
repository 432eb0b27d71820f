#!/usr/bin/env perl
# seeds_eval_answer.pl — writes the seed corpus of fuzz_eval_answer
# (tests/fuzz/corpus/eval_answer/): evaluator answers as they travel on the
# socket, encoded as evalproto_encode_response does (engine/common/evalproto.c),
# for the ledger of tests/fuzz/fuzz_eval_answer.c.  The codec's integers are
# big-endian; the action array and the frame's length travel in native
# (x86-64: little-endian) order.  Run it again after a
# change of the wire format: perl tests/fuzz/seeds_eval_answer.pl
#
# The ledger: A1 bankrupt by 461 in X (market 0: 200 of it) and Y (market 1:
# 261); the fund pays 100; the candidates are, by index, 0 D, 1 L1, 2 L2,
# 3 P1 (X -30, 600 of profit), 4 P2 (Y -10, 400 of profit).
use strict;
use warnings;
use File::Basename qw(dirname);

my $dir = dirname(__FILE__) . "/corpus/eval_answer";
mkdir dirname($dir); mkdir $dir;
unlink glob("$dir/*");

my ($OK, $LOAD, $ERROR, $INSTR, $MEMORY, $TIME, $RESULT) = (0, 1, 2, 3, 4, 5, 6);

# A response: status, message, name, has_deleverage, has_haircut,
# instructions, actions [[index, market, value, share], ...], data.
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
  return $b;
}

sub frame { my ($b) = @_; return pack("Q<", length $b) . $b; }

my %probe_hc = (name => "fz", hc => 1);
my %probe_both = (name => "fz", dl => 1, hc => 1);
my %probe_dl = (name => "fz", dl => 1);

my @seeds = (
  # deciding
  ["haircut_pro_rata", [response(%probe_hc), response(actions => [[3, 0, 200], [4, 0, 161]])]],
  ["haircut_one_payer", [response(%probe_hc), response(actions => [[3, 0, 361]])]],
  ["haircut_nothing", [response(%probe_hc), response(actions => [])]],
  ["haircut_part", [response(%probe_hc), response(actions => [[3, 0, 1], [4, 0, 2], [2, 0, 3]])]],
  ["haircut_depositor", [response(%probe_hc), response(actions => [[0, 0, 361]])]],
  ["no_steps", [response(name => "fz")]],
  ["deleverage_full",
   [response(%probe_both), response(actions => [[3, 0, 10, 10000], [4, 1, 9, 10000]]), response(actions => [])]],
  ["deleverage_half_share",
   [response(%probe_both), response(actions => [[3, 0, 10, 5000]]), response(actions => [[4, 0, 100]])]],
  ["deleverage_zero_share", [response(%probe_dl), response(actions => [[3, 0, 4, 0], [4, 1, 2, 0]])]],
  ["deleverage_some", [response(%probe_both), response(actions => [[3, 0, 3, 10000]]), response(actions => [[4, 0, 50]])]],
  ["deleverage_nothing", [response(%probe_both), response(actions => []), response(actions => [[3, 0, 200]])]],
  # refused
  ["load_error", [response(status => $LOAD, message => "policy:1: unexpected symbol near 'x'")]],
  ["call_error", [response(%probe_hc), response(status => $ERROR, message => "policy:7: boom")]],
  ["instructions", [response(%probe_hc), response(status => $INSTR, message => "instruction budget exceeded")]],
  ["memory", [response(%probe_hc), response(status => $MEMORY, message => "memory budget exceeded")]],
  ["time", [response(%probe_hc), response(status => $TIME, message => "time budget exceeded")]],
  ["result", [response(%probe_hc), response(status => $RESULT, message => "action 1: amount is a float")]],
  ["unknown_status", [response(%probe_hc), response(status => 77, message => "?")]],
  ["index_out_of_range", [response(%probe_hc), response(actions => [[5, 0, 1]])]],
  ["index_huge", [response(%probe_hc), response(actions => [[0xffffffff, 0, 1]])]],
  ["market_out_of_range", [response(%probe_dl), response(actions => [[3, 2, 1, 10000]])]],
  ["share_over", [response(%probe_dl), response(actions => [[3, 0, 1, 10001]])]],
  ["haircut_over_shortfall", [response(%probe_hc), response(actions => [[3, 0, 362]])]],
  ["haircut_over_equity", [response(%probe_hc), response(actions => [[0, 0, 501]])]],
  ["haircut_negative", [response(%probe_hc), response(actions => [[3, 0, -5]])]],
  ["haircut_zero", [response(%probe_hc), response(actions => [[3, 0, 0]])]],
  ["haircut_int64_max", [response(%probe_hc), response(actions => [[3, 0, 9223372036854775807], [4, 0, 9223372036854775807]])]],
  ["haircut_int64_min", [response(%probe_hc), response(actions => [[3, 0, -9223372036854775807 - 1]])]],
  ["haircut_twice", [response(%probe_hc), response(actions => [[3, 0, 100], [3, 0, 100]])]],
  ["deleverage_wrong_side", [response(%probe_dl), response(actions => [[1, 0, 5, 10000]])]],
  ["deleverage_too_many", [response(%probe_dl), response(actions => [[3, 0, 31, 10000]])]],
  ["deleverage_beyond_bankrupt", [response(%probe_dl), response(actions => [[3, 0, 11, 10000]])]],
  ["deleverage_twice", [response(%probe_dl), response(actions => [[3, 0, 2, 10000], [3, 0, 2, 10000]])]],
  ["deleverage_no_position", [response(%probe_dl), response(actions => [[0, 0, 1, 10000]])]],
  ["deleverage_negative", [response(%probe_dl), response(actions => [[3, 0, -1, 10000]])]],
  # the wire itself
  ["name_control_chars", [response(name => "f\x1b[31mz\x00\xff", hc => 1), response(actions => [[3, 0, 361]])]],
  ["message_not_utf8", [response(%probe_hc), response(status => $ERROR, message => "\xff\xfe\x1b]0;x\x07\xc3")]],
  ["message_long", [response(%probe_hc), response(status => $ERROR, message => "x" x 600)]],
  ["data_blob", [response(%probe_hc), response(actions => [[3, 0, 361]], data => "{\"a\":1}")]],
  ["stops_after_probe", [response(%probe_hc)]],
  ["silent", []],
);
my $n = 0;
for my $s (@seeds) {
  my ($name, $frames) = @$s;
  open(my $f, ">:raw", "$dir/$name") or die "$dir/$name: $!";
  print $f frame($_) for @$frames;
  close $f;
  $n++;
}
# cut and damaged frames
my $good = frame(response(%probe_hc)) . frame(response(actions => [[3, 0, 200], [4, 0, 161]]));
my %raw = (
  "truncated_frame" => substr($good, 0, length($good) - 5),
  "truncated_length" => substr($good, 0, 5),
  "bad_magic" => frame("SLR2" . substr(response(%probe_hc), 4)),
  "trailing_byte" => frame(response(%probe_hc) . "x"),
  "length_over_max" => pack("Q<", 1 << 32) . response(%probe_hc),
  "actions_count_lies" => frame(response(%probe_hc)) .
    frame(substr(response(actions => [[3, 0, 361]]), 0, 23) . pack("N", 1000) .
          substr(response(actions => [[3, 0, 361]]), 27)),
);
for my $name (sort keys %raw) {
  open(my $f, ">:raw", "$dir/$name") or die "$dir/$name: $!";
  print $f $raw{$name};
  close $f;
  $n++;
}
print "wrote $n seeds in $dir\n";
