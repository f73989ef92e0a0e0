// pcg_uart_rx — the 8N1 UART receiver of the board top rtl/board/pcg_icebreaker.sv (its transmitter: pcg_uart_tx.sv).
// Not part of the tile's numeric or timing specification: only the serial link between a host computer and
// the host port of pcg_top.
//
// DIV is the clock's cycles per bit (CLK_HZ / BAUD, rounded): 104 for 115,200 baud from the iCEBreaker's
// 12 MHz oscillator (12e6 / 115200 = 104.17, 0.16 % slow, inside 8N1's tolerance of about 2 %).
// The receiver synchronises rx with two flip-flops, waits for a falling edge, checks the start bit at its
// middle, samples the eight data bits (LSB first) at their middles and accepts the byte only when the
// stop bit reads 1 (a framing error drops it silently: the bridge's framing resynchronises). `valid`
// pulses for one cycle with the byte in `data`.
// rst is synchronous, active high. Accepted by Verilator 5.006 (-Wall), Icarus 11 (-g2012), Yosys 0.23.
module pcg_uart_rx #(
    parameter int DIV = 104
) (
    input  logic       clk,
    input  logic       rst,
    input  logic       rx,
    output logic       valid,
    output logic [7:0] data
);
  localparam int CW = $clog2(DIV + 1);
  logic rx_s1, rx_s2;  // rx_s1 may go metastable; only rx_s2 is used
  logic active;
  logic [CW-1:0] cnt;
  logic [3:0] bitn;  // 0 start, 1..8 data, 9 stop
  logic [7:0] sh;
  always_ff @(posedge clk) begin
    rx_s1 <= rx;
    rx_s2 <= rx_s1;
    valid <= 1'b0;
    if (rst) begin
      rx_s1 <= 1'b1;
      rx_s2 <= 1'b1;
      active <= 1'b0;
      cnt <= '0;
      bitn <= '0;
    end else if (!active) begin
      if (!rx_s2) begin  // the start bit's falling edge: its middle is DIV/2 cycles on
        active <= 1'b1;
        cnt <= CW'(DIV / 2 - 1);
        bitn <= '0;
      end
    end else if (cnt != '0) begin
      cnt <= cnt - 1'b1;
    end else begin
      cnt <= CW'(DIV - 1);
      bitn <= bitn + 1'b1;
      if (bitn == 4'd0) begin
        if (rx_s2) active <= 1'b0;  // a glitch, not a start bit
      end else if (bitn == 4'd9) begin
        active <= 1'b0;
        if (rx_s2) begin
          valid <= 1'b1;
          data <= sh;
        end
      end else begin
        sh <= {rx_s2, sh[7:1]};
      end
    end
  end
endmodule
