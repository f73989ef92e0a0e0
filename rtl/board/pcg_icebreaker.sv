// pcg_icebreaker — the tile (pcg_top: one pcg_core + one pcg_router) on an iCEBreaker board (iCE40UP5K-SG48,
// 12 MHz oscillator, FTDI FT2232H USB serial), driven from a host computer over the FTDI's UART.
// Pins: rtl/board/icebreaker.pcf. Bitstream: scripts/board.sh icebreaker (docs/synthesis.md, "On a board").
//
// WHAT IT ADDS. A serial bridge in front of pcg_top's 27-pin host port: every host action of pcg_top (SHIFT,
// CMD, MEMWR, MEMRD, INJECT, CREDIT, RSEL, WATCH; see the header of rtl/pcg_top.sv) is one two-byte frame
// from the host, and a READ frame returns pcg_top's readback byte (rdata_o, chosen by RSEL) as one byte.
// Nothing else changes: the tile and its protocol are pcg_top's. What is built is chosen by the parameters
// (scripts/board.sh's VARIANT):
//   tile (default)  core + router, the core a hidden-layer core (SMAX = ACTS = ELEM = 0; the core refuses SMAX,
//                   leaky_relu/tanh/sigmoid and elementwise commands): with the softmax unit and the bridge the
//                   UP5K needs 5,328 of its 5,280 LCs (scripts/board.sh, measured);
//   core            the core alone (WITH_ROUTER = 0) with every unit (SMAX = ACTS = ELEM = 1): any core of a
//                   lockstep run can be replayed on it (scripts/board_host.py replay), but no flit crosses a
//                   router (INJECT into port 0 goes straight to pcg_top's network interface).
// An INFO frame returns the build (below), so that the host knows which commands the board can carry out.
//
// FRAMES (host -> board, 115,200 baud 8N1 with DIV = 104 at 12 MHz). 14 payload bits {ctl[1:0], addr[3:0],
// data[7:0]} in two bytes; bit 7 marks the first byte, so the bridge resynchronises on any byte with bit 7
// set (a second byte with no first byte before it is ignored):
//   byte 1 = {1, ctl[1:0], addr[3:0], data[7]}      byte 2 = {0, data[6:0]}
//   ctl 0  host action: pcg_top's we_i = 1 with addr_i = addr, wdata_i = data for one cycle
//   ctl 1  READ: the board answers with one byte, pcg_top's rdata_o (send RSEL first to choose it)
//   ctl 2  RESET: pcg_top's rst_i for 16 cycles (as at power-up and while BTN_N is pressed)
//   ctl 3  INFO: the board answers with one byte, its build: {4'hA, WITH_ROUTER, ELEM, ACTS, SMAX} (the high
//          nibble marks the answer as an INFO byte; addr and data are ignored)
// The UART is ~10^4 times slower than the tile, so every action has taken effect, and rdata_o shows the
// chosen byte, long before the next frame arrives; a READ never finds the transmitter busy (its reply takes
// 10 bit times, the next frame 20).
// LEDs (active low): green = the core is busy, red = the router's sticky overflow.
// Simulated through the UART by testbenches/pcg_top_smoke.sv with -DBOARD (CTest rtl_board_smoke).
module pcg_icebreaker #(
    parameter int DIV = 104,  // clock cycles per UART bit: 12 MHz / 115,200 baud
    parameter int MY_X = 0,  // pcg_top's parameters (see rtl/pcg_top.sv)
    parameter int MY_Y = 0,
    parameter bit SMAX = 0,  // 0: with the softmax unit and this bridge the UP5K needs 5,328 of 5,280 LCs
    parameter bit ACTS = 0,  // (the tile: all three 0; the core alone: all three 1, see above)
    parameter bit ELEM = 0,
    parameter bit WITH_ROUTER = 1  // 0: the core alone (board.sh VARIANT core)
) (
    input  logic CLK,     // 12 MHz
    input  logic BTN_N,   // user button, low while pressed: reset
    input  logic RX,      // from the FTDI (host -> board)
    output logic TX,      // to the FTDI (board -> host)
    output logic LEDR_N,
    output logic LEDG_N
);
  // ---- reset: 16 cycles after configuration (flip-flops start at 0), while BTN_N is low, on a RESET frame
  logic [3:0] por_q = 4'd0;
  logic btn_s1 = 1'b1, btn_s2 = 1'b1;
  logic rst_frame;
  logic rst;
  assign rst = por_q != 4'hf;
  always_ff @(posedge CLK) begin
    btn_s1 <= BTN_N;
    btn_s2 <= btn_s1;
    if (!btn_s2 || rst_frame) por_q <= 4'd0;
    else if (rst) por_q <= por_q + 1'b1;
  end

  // ---- UART ---------------------------------------------------------------------------------------------
  logic rx_v;
  logic [7:0] rx_b;
  logic tx_start, tx_busy;
  logic [7:0] rdata, tx_data;
  logic info_q;  // the frame being answered is INFO, not READ
  // (the casts are needed: Icarus 11.0 gives 8'h00 for a concatenation of bare `bit` parameters)
  localparam logic [7:0] Info = {4'hA, 1'(WITH_ROUTER), 1'(ELEM), 1'(ACTS), 1'(SMAX)};
  assign tx_data = info_q ? Info : rdata;
  pcg_uart_rx #(.DIV(DIV)) u_rx (.clk(CLK), .rst(rst), .rx(RX), .valid(rx_v), .data(rx_b));
  pcg_uart_tx #(.DIV(DIV)) u_tx (.clk(CLK), .rst(rst), .start(tx_start), .data(tx_data), .busy(tx_busy), .tx(TX));

  // ---- frame bridge ---------------------------------------------------------------------------------------
  logic have_q;  // the first byte of a frame arrived
  logic [6:0] first_q;
  logic we_q;
  logic [3:0] addr_q;
  logic [7:0] wdata_q;
  logic frame;
  logic [1:0] ctl;
  assign frame = rx_v && !rx_b[7] && have_q;
  assign ctl = first_q[6:5];
  assign rst_frame = frame && ctl == 2'd2;
  always_ff @(posedge CLK) begin
    we_q <= 1'b0;
    tx_start <= 1'b0;
    if (rst) begin
      have_q <= 1'b0;
    end else if (rx_v) begin
      have_q <= rx_b[7];
      if (rx_b[7]) first_q <= rx_b[6:0];
      if (frame) begin
        addr_q <= first_q[4:1];
        wdata_q <= {first_q[0], rx_b[6:0]};
        we_q <= ctl == 2'd0;
        tx_start <= ctl == 2'd1 || ctl == 2'd3;
        info_q <= ctl == 2'd3;
      end
    end
  end
  wire unused_ok = &{1'b0, tx_busy};  // a READ never finds the transmitter busy (see above)

  // ---- the tile -----------------------------------------------------------------------------------------
  logic busy, err_zero, overflow, flit;
  pcg_top #(
      .MY_X(MY_X),
      .MY_Y(MY_Y),
      .SMAX(SMAX),
      .ACTS(ACTS),
      .ELEM(ELEM),
      .WITH_ROUTER(WITH_ROUTER)
  ) u_tile (
      .clk_i(CLK),
      .rst_i(rst),
      .we_i(we_q),
      .addr_i(addr_q),
      .wdata_i(wdata_q),
      .rdata_o(rdata),
      .busy_o(busy),
      .err_zero_o(err_zero),
      .overflow_o(overflow),
      .flit_o(flit)
  );
  wire unused_tile = &{1'b0, err_zero, flit};  // both are in readback byte 7 as well
  assign LEDG_N = !busy;
  assign LEDR_N = !overflow;
endmodule
