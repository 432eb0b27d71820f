#!/usr/bin/env perl
# layout.t — holds the code to the README's layout table: each folder may
# include headers of its own and of the folders in its "may use" column only;
# Lua's headers only in evaluator/, LMDB's only in store/ (and bench/'s floor
# programs), SQLite's only in bench/; no circle of includes between files, and
# no circle of calls between the library's object files (read with nm from
# the build).  The checker is first shown a violation, so it can fail.
use strict;
use warnings;
use File::Basename qw(dirname basename);
use File::Find;

my $root = dirname(dirname(dirname(__FILE__)));
$root = "." if $root eq "";
my $build = $ENV{SOCLOSS_BUILD} || "$root/build";
my $n = 0;
my $failed = 0;

sub ok {
  my ($cond, $name, @diag) = @_;
  $n++;
  print(($cond ? "ok" : "not ok") . " $n - $name\n");
  unless ($cond) {
    $failed++;
    print STDERR "#   $_\n" for @diag;
  }
}

# ---- the table -------------------------------------------------------------
open(my $fh, '<', "$root/README.md") or die "README.md: $!";
my (%may, @folders, $in);
while (<$fh>) {
  $in = 1 if /^## Layout/;
  last if $in && /^## / && !/^## Layout/;
  next unless $in && /^\| `([^`]+)` \|(.*)\|([^|]*)\|\s*$/;
  my ($folder, $uses) = ($1, $3);
  push @folders, $folder;
  $may{$folder} = {map { $_ => 1 } ($uses =~ /`([^`]+)`/g)};
}
close $fh;
ok(@folders >= 10 && exists $may{'engine/include'} && exists $may{'store'},
   "the README's layout table lists the folders (" . scalar(@folders) . ")");

# ---- the files and where each header lives -----------------------------------
my (%folder_of_header, %files, @dup);
for my $folder (@folders) {
  for my $path (sort glob("$root/$folder/*.[ch]")) {
    my $rel = substr($path, length($root) + 1);
    push @{$files{$folder}}, $rel;
    next unless $rel =~ /\.h$/;
    my $b = basename($rel);
    push @dup, "$b: $folder_of_header{$b} and $folder" if exists $folder_of_header{$b};
    $folder_of_header{$b} = $folder;
  }
}
ok(!@dup, "every header name is in one folder only", @dup);

sub includes {
  my ($path) = @_;
  open(my $f, '<', "$root/$path") or die "$path: $!";
  my (@local, @system);
  while (<$f>) {
    push @local, $1 if /^\s*#\s*include\s+"([^"]+)"/;
    push @system, $1 if /^\s*#\s*include\s+<([^>]+)>/;
  }
  close $f;
  return (\@local, \@system);
}

my %system_owner = ('lua.h' => ['evaluator'], 'lauxlib.h' => ['evaluator'], 'lualib.h' => ['evaluator'],
                    'lmdb.h' => ['store', 'bench'], 'sqlite3.h' => ['bench']);

# What a file in $folder including these headers breaks, as messages.
sub violations {
  my ($folder, $path, $local, $system) = @_;
  my @bad;
  for my $h (@$local) {
    my $owner = $folder_of_header{basename($h)};
    if (!defined $owner) {
      push @bad, "$path: includes \"$h\", which no folder of the table holds";
    } elsif ($owner ne $folder && !$may{$folder}{$owner}) {
      push @bad, "$path: includes \"$h\" of $owner, which $folder may not use";
    }
  }
  for my $h (@$system) {
    my $owners = $system_owner{$h} or next;
    push @bad, "$path: includes <$h>, allowed only in @$owners" unless grep { $_ eq $folder } @$owners;
  }
  return @bad;
}

# the checker can fail: the CLI reaching into the ledger, Lua in the engine
my @seen = (violations('cli', 'cli/x.c', ['ledger.h'], []),
            violations('engine/resolve', 'engine/resolve/x.c', ['socloss.h'], ['lua.h']));
ok(@seen == 2 && $seen[0] =~ /of engine\/ledger, which cli may not use/ && $seen[1] =~ /<lua.h>, allowed only in evaluator/,
   "the checker refuses a crossing include and Lua outside evaluator/", @seen);

# ---- every file, against the table ---------------------------------------------
my %graph;  # file -> files it includes (for circles)
for my $folder (@folders) {
  my @bad;
  for my $path (@{$files{$folder} || []}) {
    my ($local, $system) = includes($path);
    push @bad, violations($folder, $path, $local, $system);
    for my $h (@$local) {
      my $owner = $folder_of_header{basename($h)};
      push @{$graph{$path}}, "$owner/" . basename($h) if defined $owner;
    }
  }
  ok(!@bad, "$folder: every include is its own or of a folder it may use", @bad);
}

# ---- circles -------------------------------------------------------------------
# Tarjan's strongly connected components; a component of two or more is a circle.
sub circles {
  my ($g) = @_;
  my ($i, %idx, %low, @stack, %on, @out) = (0);
  my $visit;
  $visit = sub {
    my ($v) = @_;
    $idx{$v} = $low{$v} = $i++;
    push @stack, $v;
    $on{$v} = 1;
    for my $w (@{$g->{$v} || []}) {
      if (!exists $idx{$w}) {
        $visit->($w);
        $low{$v} = $low{$w} if $low{$w} < $low{$v};
      } elsif ($on{$w}) {
        $low{$v} = $idx{$w} if $idx{$w} < $low{$v};
      }
    }
    if ($low{$v} == $idx{$v}) {
      my @c;
      while (1) {
        my $w = pop @stack;
        delete $on{$w};
        push @c, $w;
        last if $w eq $v;
      }
      push @out, join(" ", sort @c) if @c > 1;
    }
  };
  $visit->($_) for grep { !exists $idx{$_} } sort keys %$g;
  return @out;
}

my @c = circles({a => ['b'], b => ['c'], c => ['a'], d => ['a']});
ok(@c == 1 && $c[0] eq "a b c", "the circle finder finds a -> b -> c -> a");

my @inc = circles(\%graph);
ok(!@inc, "no circle of includes", @inc);

# calls: which object file defines each symbol another one uses
my @objs;
find(sub { push @objs, $File::Find::name if /\.o$/ }, "$build/CMakeFiles/socloss_objects.dir")
  if -d "$build/CMakeFiles/socloss_objects.dir";
ok(@objs >= 20, "the library's object files are in $build (" . scalar(@objs) . ")");
my (%defines, %uses);
for my $o (@objs) {
  (my $name = $o) =~ s{.*/socloss_objects\.dir/}{};
  for (`nm '$o'`) {
    my @p = split;
    $defines{$p[2]} = $name if @p == 3 && $p[1] =~ /^[TDBR]$/;
    push @{$uses{$name}}, $p[1] if @p == 2 && $p[0] eq 'U';
  }
}
my %calls;
for my $file (keys %uses) {
  my %to;
  for my $s (@{$uses{$file}}) {
    my $d = $defines{$s};
    $to{$d} = 1 if defined $d && $d ne $file;
  }
  $calls{$file} = [sort keys %to];
}
my @calls = circles(\%calls);
ok(!@calls, "no circle of calls between the library's files", @calls);

print "1..$n\n";
exit($failed ? 1 : 0);
