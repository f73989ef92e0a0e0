// board_pipe_tb — the board top rtl/board/pcg_icebreaker.sv in Icarus as a stand-in for the iCEBreaker, so that
// the host program scripts/board_host.py can be tested without a board (CTest board_host_sim,
// testbenches/board_host_sim.sh). Two named pipes replace the USB serial port: the host writes each byte as a
// two-digit hex line to +to_board=PATH, the testbench plays it into the board's RX as an 8N1 UART byte (DIV
// cycles per bit), and every byte the board sends on TX is written to +from_board=PATH the same way. Between
// two host bytes the simulation runs 12 bit times more, so that an answer the last byte asked for is
// complete before the testbench blocks on the next line (simulated time stands still while it waits, as
// it may: a real host is slower still). Ends when the host closes its pipe. -DBOARD_CORE builds the board's
// core variant (scripts/board.sh ... core) instead of its tile.
`timescale 1ns/1ps
module board_pipe_tb;
  localparam int DIV = 4;
  logic clk = 0;
  logic rx = 1'b1;
  wire tx, ledr_n, ledg_n;
`ifdef BOARD_CORE  // scripts/board.sh's VARIANT core: the core alone with every unit
  pcg_icebreaker #(.DIV(DIV), .WITH_ROUTER(0), .SMAX(1), .ACTS(1), .ELEM(1)) dut(
`else  // VARIANT tile (pcg_icebreaker's defaults)
  pcg_icebreaker #(.DIV(DIV), .MY_X(2), .MY_Y(3)) dut(
`endif
    .CLK(clk), .BTN_N(1'b1), .RX(rx), .TX(tx), .LEDR_N(ledr_n), .LEDG_N(ledg_n));
  always #5 clk = ~clk;

  integer fin, fout, r, nin = 0, nout = 0;
  logic [7:0] b, v;
  string to_board, from_board;

  initial begin
    if (!$value$plusargs("to_board=%s", to_board) || !$value$plusargs("from_board=%s", from_board)) begin
      $display("FAIL usage: vvp board_pipe_tb.vvp +to_board=PIPE +from_board=PIPE");
      $finish;
    end
    fin = $fopen(to_board, "r");  // the host opens its writing end first (PipePort)
    fout = $fopen(from_board, "w");
    if (fin == 0 || fout == 0) begin
      $display("FAIL cannot open the pipes");
      $finish;
    end
    repeat (40) @(negedge clk);  // power-on reset (16 cycles) and the button's synchroniser
    forever begin
      r = $fscanf(fin, "%x", b);  // no "\n": scanf would wait for the next line's first character
      if (r != 1) begin
        $display("host closed the pipe after %0d bytes in, %0d out", nin, nout);
        $fclose(fout);
        $finish;
      end
      nin++;
      rx = 1'b0;  // start bit
      repeat (DIV) @(negedge clk);
      for (int i = 0; i < 8; i++) begin rx = b[i]; repeat (DIV) @(negedge clk); end
      rx = 1'b1;  // stop bit, then 12 bit times for an answer
      repeat (13 * DIV) @(negedge clk);
    end
  end

  // The board's answers: sampled at the middle of each bit.
  initial begin
    forever begin
      @(negedge tx);
      repeat (DIV / 2) @(negedge clk);
      for (int i = 0; i < 8; i++) begin repeat (DIV) @(negedge clk); v[i] = tx; end
      repeat (DIV) @(negedge clk);
      if (tx !== 1'b1) $display("FAIL the board's stop bit");
      $fwrite(fout, "%02x\n", v);
      $fflush(fout);
      nout++;
    end
  end
endmodule
