// trace_replay_tb — a core's port trace from the lockstep run replayed into pcg_top through its host pins, in
// Icarus: on the RTL, and with -DGATE_LEVEL on the netlist Yosys makes of it (testbenches/trace_replay.sh,
// CTests rtl_trace_replay and rtl_trace_replay_gate). The core is built as the board's core build carries it
// (WITH_ROUTER = 0, the softmax unit, ACTS = 1, ELEM = 1: every command of the lockstep's core).
//
// The trace (pcgrid train --rtl-port-trace, docs/rtl.md) is turned into +vectors=FILE by
// testbenches/trace_vectors.py, one operation per line, numbers in hex except the cycle count:
//   W sel addr word                       a memory-port write (host SHIFT x5, MEMWR)
//   R sel addr word                       a memory-port read; the word read back must equal `word`
//   C load cmd_err err_zero cycles        a command: its 224-bit load register (SHIFT x28, CMD); then `busy`
//                                         must stay high for exactly `cycles` cycles (decimal), and cmd_err
//                                         (readback byte 8, bit 0) and err_zero (its pin) must be as given
// So the replay checks every word, every flag and every command's cycle count that the Verilated core showed
// in the SystemC grid, on a core driven only through pcg_top's pins. Prints the first difference (vector
// line, operation, both values) and FAIL, or PASS with the counts.
`timescale 1ns/1ps
module trace_replay_tb;
  logic clk = 0, rst = 1, we = 0;
  logic [3:0] addr = 0;
  logic [7:0] wdata = 0;
  wire [7:0] rdata;
  wire busy, err_zero, overflow, flit;
`ifdef GATE_LEVEL  // the synthesized netlist (trace_replay.sh gate): parameters set at synthesis
  pcg_top dut(
`else
  pcg_top #(.WITH_ROUTER(1'b0), .ACTS(1'b1), .ELEM(1'b1)) dut(  // SMAX = 1 is pcg_top's default
`endif
    .clk_i(clk), .rst_i(rst), .we_i(we), .addr_i(addr), .wdata_i(wdata),
    .rdata_o(rdata), .busy_o(busy), .err_zero_o(err_zero), .overflow_o(overflow), .flit_o(flit));
  always #5 clk = ~clk;

  task automatic act(input [3:0] a, input [7:0] d);
    @(negedge clk); we = 1; addr = a; wdata = d; @(negedge clk); we = 0;
  endtask
  task automatic readb(input [3:0] s, output [7:0] v);
    act(6, {4'b0, s}); repeat (3) @(negedge clk); v = rdata;
  endtask
  task automatic shift40(input [39:0] w);
    for (int k = 4; k >= 0; k--) act(0, w[8*k+:8]);
  endtask

  integer fd, r, need, line = 0, nw = 0, nr = 0, nc = 0, errors = 0;
  string vec, kind;
  logic [7:0] sel;
  logic [15:0] a16, w16, got;
  logic [223:0] load;
  logic [7:0] lo, hi, b8;
  integer want_err, want_zero, want_cycles, cycles, waited;

  initial begin
    if (!$value$plusargs("vectors=%s", vec)) begin
      $display("FAIL usage: vvp trace_replay_tb.vvp +vectors=FILE");
      $finish;
    end
    fd = $fopen(vec, "r");
    if (fd == 0) begin
      $display("FAIL cannot open %s", vec);
      $finish;
    end
    repeat (4) @(negedge clk);
    rst = 0;
    repeat (4) @(negedge clk);
    while (errors == 0 && $fscanf(fd, "%s", kind) == 1) begin
      line++;
      need = kind == "C" ? 4 : 3;
      if (kind == "W") begin
        r = $fscanf(fd, "%h %h %h", sel, a16, w16);
        shift40({sel, a16, w16});
        act(2, 0);
        nw++;
      end else if (kind == "R") begin
        r = $fscanf(fd, "%h %h %h", sel, a16, w16);
        shift40({sel, a16, 16'h0});
        act(3, 0);
        readb(5, lo);
        readb(6, hi);
        got = {hi, lo};
        if (got !== w16) begin
          $display("FAIL %s:%0d: read of memory select %0d address %0d: the pins gave %0d, the lockstep's RTL %0d",
                   vec, line, sel, a16, $signed(got), $signed(w16));
          errors++;
        end
        nr++;
      end else if (kind == "C") begin
        r = $fscanf(fd, "%h %d %d %d", load, want_err, want_zero, want_cycles);
        for (int k = 27; k >= 0; k--) act(0, load[8*k+:8]);
        act(1, 0);
        // busy rises two edges after the CMD action's negedge at the earliest (pins, then the core's
        // registered strobe); count every cycle it is high, waiting a few cycles for it to rise
        cycles = 0;
        waited = 0;
        while ((cycles == 0 && waited < 6) || busy) begin
          if (busy) cycles++;
          else waited++;
          @(negedge clk);
        end
        readb(8, b8);
        if (cycles != want_cycles || b8[0] !== want_err[0] || err_zero !== want_zero[0]) begin
          $display("FAIL %s:%0d: command op %0d: busy %0d cycles, cmd_err %b, err_zero %b; the lockstep's RTL %0d, %0d, %0d",
                   vec, line, load[188:186], cycles, b8[0], err_zero, want_cycles, want_err, want_zero);
          errors++;
        end
        nc++;
      end else begin
        $display("FAIL %s:%0d: unknown operation '%s' (expected W, R or C)", vec, line, kind);
        errors++;
      end
      if (r != need) begin
        $display("FAIL %s:%0d: a truncated line", vec, line);
        errors++;
      end
    end
    if (line == 0) begin
      $display("FAIL %s: no vectors", vec);
      errors++;
    end
    if (overflow) begin
      $display("FAIL the router's overflow flag (no router in this build)");
      errors++;
    end
    if (errors == 0) begin
      $display("replayed %0d lines: %0d writes, %0d commands (cycle counts equal), %0d reads, every word equal", line,
               nw, nc, nr);
      $display("PASS");
    end
    $finish;
  end
endmodule
